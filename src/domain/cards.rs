//! Cards and decks: how people write a card, the decks sprintlens knows, and a card's step
//! k(x) in its deck. Ingest turns text into these values once; everything downstream trusts them.

use serde::Serialize;

/// The cards that are never part of a numeric estimate but are always accepted and counted.
pub const NON_NUMERIC_CARDS: [&str; 4] = ["?", "☕", "∞", "pass"];

/// A card as normalised at the edge: what was shown, and its numeric value if it has one.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Card {
    /// The card as shown on the table, normalised (`½` for `0.5` and `1/2`, `☕` for `coffee`).
    pub shown: String,
    /// The numeric value; `None` for `?`, `☕`, `∞` and `pass`.
    pub value: Option<f64>,
}

/// Normalises how people write a card: `1/2`, `0.5` and `.5` are `½`; `coffee` is `☕`;
/// `inf` is `∞`; numbers lose trailing zeros (`5.0` is `5`); sizes are upper-cased (`xl` is `XL`).
pub fn normalise_card(raw: &str) -> String {
    let t = raw.trim();
    let lower = t.to_lowercase();
    match lower.as_str() {
        "½" | "1/2" | "0.5" | ".5" => return "½".to_string(),
        "coffee" | "☕" | "☕\u{fe0f}" | "break" => return "☕".to_string(),
        "∞" | "inf" | "infinity" => return "∞".to_string(),
        "?" | "unsure" => return "?".to_string(),
        "pass" => return "pass".to_string(),
        _ => {}
    }
    if let Ok(v) = t.parse::<f64>()
        && v.is_finite()
    {
        return format_number(v);
    }
    t.to_uppercase()
}

/// Formats a number the way a card shows it: `5`, `0.5`, `2.5`, never `5.0`.
pub fn format_number(v: f64) -> String {
    if v == v.trunc() && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        let s = format!("{v}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// The decks sprintlens knows by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum BuiltinDeck {
    Fibonacci,
    ModifiedFibonacci,
    PowersOfTwo,
    TShirt,
}

impl BuiltinDeck {
    pub const ALL: [BuiltinDeck; 4] = [
        BuiltinDeck::Fibonacci,
        BuiltinDeck::ModifiedFibonacci,
        BuiltinDeck::PowersOfTwo,
        BuiltinDeck::TShirt,
    ];

    pub fn name(self) -> &'static str {
        match self {
            BuiltinDeck::Fibonacci => "fibonacci",
            BuiltinDeck::ModifiedFibonacci => "modified-fibonacci",
            BuiltinDeck::PowersOfTwo => "powers-of-two",
            BuiltinDeck::TShirt => "tshirt",
        }
    }

    pub fn parse(name: &str) -> Option<BuiltinDeck> {
        let n = name.trim().to_lowercase().replace(['_', ' '], "-");
        match n.as_str() {
            "fibonacci" | "fib" => Some(BuiltinDeck::Fibonacci),
            "modified-fibonacci" | "modified-fib" | "mod-fibonacci" => {
                Some(BuiltinDeck::ModifiedFibonacci)
            }
            "powers-of-two" | "powers-of-2" | "pow2" => Some(BuiltinDeck::PowersOfTwo),
            "tshirt" | "t-shirt" | "t-shirt-sizes" | "tshirt-sizes" => Some(BuiltinDeck::TShirt),
            _ => None,
        }
    }

    /// The deck's cards in order, with their point values.
    pub fn deck(self) -> Deck {
        let cards: Vec<(&str, f64)> = match self {
            BuiltinDeck::Fibonacci => vec![
                ("0", 0.0),
                ("1", 1.0),
                ("2", 2.0),
                ("3", 3.0),
                ("5", 5.0),
                ("8", 8.0),
                ("13", 13.0),
                ("21", 21.0),
            ],
            BuiltinDeck::ModifiedFibonacci => vec![
                ("0", 0.0),
                ("½", 0.5),
                ("1", 1.0),
                ("2", 2.0),
                ("3", 3.0),
                ("5", 5.0),
                ("8", 8.0),
                ("13", 13.0),
                ("20", 20.0),
                ("40", 40.0),
                ("100", 100.0),
            ],
            BuiltinDeck::PowersOfTwo => vec![
                ("0", 0.0),
                ("1", 1.0),
                ("2", 2.0),
                ("4", 4.0),
                ("8", 8.0),
                ("16", 16.0),
                ("32", 32.0),
                ("64", 64.0),
            ],
            // The default point mapping of T-shirt sizes; a decks file can give its own.
            BuiltinDeck::TShirt => vec![
                ("XS", 1.0),
                ("S", 2.0),
                ("M", 3.0),
                ("L", 5.0),
                ("XL", 8.0),
                ("XXL", 13.0),
            ],
        };
        Deck {
            name: self.name().to_string(),
            cards: cards
                .into_iter()
                .map(|(c, v)| Card {
                    shown: c.to_string(),
                    value: Some(v),
                })
                .collect(),
        }
    }
}

/// The ordered cards a team votes with. Position in `cards` is the card's step k(x).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Deck {
    pub name: String,
    pub cards: Vec<Card>,
}

/// The deck a team uses when no decks file has named one.
pub const DEFAULT_DECK: BuiltinDeck = BuiltinDeck::ModifiedFibonacci;

impl Deck {
    /// Looks a card up by how it was written; non-numeric cards are always accepted.
    pub fn card(&self, raw: &str) -> Option<Card> {
        let shown = normalise_card(raw);
        if NON_NUMERIC_CARDS.contains(&shown.as_str()) {
            return Some(Card { shown, value: None });
        }
        self.cards.iter().find(|c| c.shown == shown).cloned()
    }

    /// The card's step in the deck, k(x); `None` for cards outside it.
    pub fn position(&self, shown: &str) -> Option<usize> {
        self.cards.iter().position(|c| c.shown == shown)
    }

    /// The valid cards, for error messages: `0 ½ 1 2 3 5 8 13 20 40 100 ? ☕ ∞ pass`.
    pub fn describe(&self) -> String {
        let mut parts: Vec<&str> = self.cards.iter().map(|c| c.shown.as_str()).collect();
        parts.extend(NON_NUMERIC_CARDS);
        parts.join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_is_written_three_ways() {
        let deck = BuiltinDeck::ModifiedFibonacci.deck();
        for raw in ["½", "0.5", "1/2", " .5 "] {
            let c = deck.card(raw).unwrap();
            assert_eq!(c.shown, "½");
            assert_eq!(c.value, Some(0.5));
        }
        assert_eq!(deck.position("½"), Some(1));
        assert_eq!(deck.position("13"), Some(7));
    }

    #[test]
    fn non_numeric_cards_are_accepted_without_value() {
        let deck = BuiltinDeck::Fibonacci.deck();
        for (raw, shown) in [
            ("?", "?"),
            ("coffee", "☕"),
            ("☕", "☕"),
            ("∞", "∞"),
            ("PASS", "pass"),
        ] {
            let c = deck.card(raw).unwrap();
            assert_eq!(c.shown, shown);
            assert_eq!(c.value, None);
        }
    }

    #[test]
    fn card_outside_the_deck_is_rejected() {
        let deck = BuiltinDeck::Fibonacci.deck();
        assert!(deck.card("20").is_none());
        assert!(deck.card("½").is_none());
        assert_eq!(deck.card("5.0").unwrap().shown, "5");
        assert_eq!(deck.describe(), "0 1 2 3 5 8 13 21 ? ☕ ∞ pass");
    }

    #[test]
    fn tshirt_sizes_map_to_points_case_insensitively() {
        let deck = BuiltinDeck::TShirt.deck();
        assert_eq!(deck.card("xl").unwrap().value, Some(8.0));
        assert_eq!(deck.card("M").unwrap().value, Some(3.0));
        assert!(deck.card("XXXL").is_none());
    }

    #[test]
    fn powers_of_two_steps() {
        let deck = BuiltinDeck::PowersOfTwo.deck();
        assert_eq!(deck.position("16"), Some(5));
        assert!(deck.card("3").is_none());
    }

    #[test]
    fn named_decks_parse() {
        assert_eq!(
            BuiltinDeck::parse("Modified Fibonacci"),
            Some(BuiltinDeck::ModifiedFibonacci)
        );
    }
}
