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

thread_local! {
    static KEEPING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `f` serialising reports to be kept and read back (the server keeps a team's reports in
/// the store): undefined values keep their kind (`{"unknown": bool, "reason": text}`), and
/// fields the JSON reports leave out (see [`not_kept`]) are written.
pub fn keeping<T>(f: impl FnOnce() -> T) -> T {
    KEEPING.with(|k| {
        let before = k.replace(true);
        let out = f();
        k.set(before);
        out
    })
}

/// Whether reports are being serialised to be kept.
pub fn is_keeping() -> bool {
    KEEPING.with(|k| k.get())
}

/// For `skip_serializing_if`: a field that the JSON reports leave out but a kept report holds.
pub fn not_kept<T>(_: &T) -> bool {
    !is_keeping()
}

impl Serialize for Undefined {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if minijinja::value::serializing_for_value() || is_keeping() {
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

impl<'de> serde::Deserialize<'de> for Undefined {
    /// The kept form only (`{"unknown": bool, "reason": text}`): the JSON reports' reason alone
    /// does not say which kind it is.
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(serde::Deserialize)]
        struct Kept {
            unknown: bool,
            reason: String,
        }
        let k = Kept::deserialize(d)?;
        Ok(if k.unknown {
            Undefined::Unknown(k.reason.into())
        } else {
            Undefined::NotApplicable(k.reason.into())
        })
    }
}

/// Why each undefined field of a report row is undefined, by field name.
pub type Reasons = BTreeMap<&'static str, Undefined>;

/// A field name read back, as the `&'static str` the reports name fields by: the names are a
/// few dozen, each kept once for the life of the process.
pub fn static_name(name: &str) -> &'static str {
    static NAMES: std::sync::LazyLock<std::sync::Mutex<std::collections::HashSet<&'static str>>> =
        std::sync::LazyLock::new(Default::default);
    let mut names = NAMES.lock().unwrap_or_else(|p| p.into_inner());
    match names.get(name) {
        Some(n) => n,
        None => {
            let n: &'static str = Box::leak(name.to_string().into_boxed_str());
            names.insert(n);
            n
        }
    }
}

/// `deserialize_with` for a [`Reasons`] field of a kept report.
pub fn reasons<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Reasons, D::Error> {
    let m: BTreeMap<String, Undefined> = serde::Deserialize::deserialize(d)?;
    Ok(m.into_iter().map(|(k, v)| (static_name(&k), v)).collect())
}

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

    #[test]
    fn kept_reasons_read_back_with_their_kind() {
        let mut r = Reasons::new();
        r.insert("committed", unknown("the source does not say"));
        r.insert("sd", na("needs two values"));
        let kept = keeping(|| serde_json::to_string(&r).unwrap());
        assert_eq!(
            kept,
            r#"{"committed":{"unknown":true,"reason":"the source does not say"},"sd":{"unknown":false,"reason":"needs two values"}}"#
        );
        let back = reasons(&mut serde_json::Deserializer::from_str(&kept)).unwrap();
        assert_eq!(back, r);
        // Outside `keeping`, the reports' JSON as before.
        assert!(!is_keeping());
        assert_eq!(
            serde_json::to_string(&r).unwrap(),
            r#"{"committed":"the source does not say","sd":"needs two values"}"#
        );
        assert!(std::ptr::eq(static_name("sd"), static_name("sd")));
    }
}
