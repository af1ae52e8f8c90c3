//! Undefined values, typed. A report value is either a number or undefined, and undefined has
//! two meanings that every output keeps apart:
//!
//! - [`Undefined::Unknown`]: the source cannot tell (a Jira export does not say what was
//!   committed at a sprint's start); pages and tables say "unknown";
//! - [`Undefined::NotApplicable`]: the value does not apply to the data (a standard deviation of
//!   one sprint); pages and tables say "n/a".
//!
//! In JSON both are the reason in words (`"undefined": {"field": "reason"}`); templates see
//! `{"unknown": bool, "reason": text}` so they never decide by matching the words.

use serde::Serialize;
use std::borrow::Cow;
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Undefined {
    /// The source cannot tell this value.
    Unknown(Cow<'static, str>),
    /// The value does not apply to the data.
    NotApplicable(Cow<'static, str>),
}

impl Undefined {
    pub fn reason(&self) -> &str {
        match self {
            Undefined::Unknown(r) | Undefined::NotApplicable(r) => r,
        }
    }

    pub fn is_unknown(&self) -> bool {
        matches!(self, Undefined::Unknown(_))
    }

    /// "unknown" or "n/a", as tables and pages show an undefined value.
    pub fn shown(&self) -> &'static str {
        if self.is_unknown() { "unknown" } else { "n/a" }
    }
}

impl Serialize for Undefined {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if minijinja::value::serializing_for_value() {
            use serde::ser::SerializeMap;
            let mut m = s.serialize_map(Some(2))?;
            m.serialize_entry("unknown", &self.is_unknown())?;
            m.serialize_entry("reason", self.reason())?;
            m.end()
        } else {
            s.serialize_str(self.reason())
        }
    }
}

/// Why each undefined field of a report row is undefined, by field name.
pub type Reasons = BTreeMap<&'static str, Undefined>;

/// `Unknown` with its reason.
pub fn unknown(reason: impl Into<Cow<'static, str>>) -> Undefined {
    Undefined::Unknown(reason.into())
}

/// `NotApplicable` with its reason.
pub fn na(reason: impl Into<Cow<'static, str>>) -> Undefined {
    Undefined::NotApplicable(reason.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_carries_the_reason_and_templates_the_kind() {
        let mut r = Reasons::new();
        r.insert("committed", unknown("the source does not say"));
        r.insert("sd", na("needs two values"));
        assert_eq!(
            serde_json::to_string(&r).unwrap(),
            r#"{"committed":"the source does not say","sd":"needs two values"}"#
        );
        let v = minijinja::Value::from_serialize(&r);
        let env = minijinja::Environment::new();
        let out = env
            .render_str(
                "{% for k, w in r|items %}{{ k }}={{ w.unknown }}:{{ w.reason }};{% endfor %}",
                minijinja::context! { r => v },
            )
            .unwrap();
        assert_eq!(
            out,
            "committed=True:the source does not say;sd=False:needs two values;"
        );
    }
}
