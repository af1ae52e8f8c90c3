//! Ingest: a decks file gives each of its teams one deck, named (`fibonacci`, ...) or listed
//! card by card in order; the decks of an ingest are read back for its votes.

use crate::domain::cards::NON_NUMERIC_CARDS;
use crate::domain::schema::{Frame, spec};
use crate::domain::{BuiltinDeck, Card, Deck, Kind, normalise_card};
use crate::error::{Problem, Problems, shown as echo};
use crate::ingest::read::RawTable;
use crate::ingest::typing::{TeamsNamed, Typed};
use crate::ingest::values::parse_float;
use duckdb::arrow::array::{Array, Float64Array, Int32Array, StringArray, StringBuilder};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// One team's rows of a decks file: the deck's name, its first line, and the cards listed
/// (card, value, line).
struct ListedDeck {
    name: String,
    line: usize,
    cards: Vec<(String, Option<f64>, usize)>,
}

/// A decks file: each team's deck, a named one or the cards listed in order.
pub fn decks_frame(
    raw: &RawTable,
    mut t: Typed,
    named: TeamsNamed,
    problems: &mut Problems,
) -> Option<Frame> {
    let before = problems.total;
    let deck_names = t.take("deck");
    let cards = t.take("card");
    let values = t.take("value");
    let (deck_names, cards, values) = (deck_names.text(), cards.text(), values.floats());
    let mut per_team: BTreeMap<String, ListedDeck> = BTreeMap::new();
    for (row, value) in values.iter().enumerate() {
        if !t.team.is_valid(row) || !deck_names.is_valid(row) {
            continue;
        }
        let team = t.team.value(row);
        let name = deck_names.value(row);
        let entry = per_team
            .entry(team.to_string())
            .or_insert_with(|| ListedDeck {
                name: name.to_string(),
                line: raw.line(row),
                cards: Vec::new(),
            });
        if entry.name != name {
            problems.push(Problem::at(
                &raw.file,
                raw.line(row),
                Some("deck"),
                format!(
                    "team \"{}\" gets deck \"{}\" on line {} and \"{}\" here; a team has one deck",
                    echo(team),
                    echo(&entry.name),
                    entry.line,
                    echo(name)
                ),
            ));
            continue;
        }
        if cards.is_valid(row) {
            entry.cards.push((
                raw.number_text(cards.value(row)).into_owned(),
                *value,
                raw.line(row),
            ));
        }
    }
    let mut team_col = StringBuilder::new();
    let mut line_col: Vec<u32> = Vec::new();
    let mut pos_col: Vec<Option<i32>> = Vec::new();
    let mut card_col = StringBuilder::new();
    let mut value_col: Vec<Option<f64>> = Vec::new();
    let mut deck_col = StringBuilder::new();
    for (
        team,
        ListedDeck {
            name,
            line,
            cards: listed,
        },
    ) in &per_team
    {
        let builtin = BuiltinDeck::parse(name);
        let deck = if listed.is_empty() {
            match builtin {
                Some(b) => b.deck(),
                None => {
                    problems.push(Problem::at(
                        &raw.file,
                        *line,
                        Some("deck"),
                        format!(
                            "\"{}\" is not a deck sprintlens knows ({}); list its cards in the card column",
                            echo(name),
                            BuiltinDeck::ALL.map(|d| d.name()).join(", ")
                        ),
                    ));
                    continue;
                }
            }
        } else {
            let mut deck = Deck {
                name: builtin
                    .map(|b| b.name().to_string())
                    .unwrap_or_else(|| name.clone()),
                cards: Vec::new(),
            };
            let known = builtin.map(BuiltinDeck::deck);
            for (card, value, line) in listed {
                let shown = normalise_card(card);
                if NON_NUMERIC_CARDS.contains(&shown.as_str()) {
                    problems.push(Problem::at(
                        &raw.file,
                        *line,
                        Some("card"),
                        format!(
                            "\"{}\" is always accepted and need not be listed in a deck",
                            echo(card)
                        ),
                    ));
                    continue;
                }
                let value = value
                    .or_else(|| {
                        known
                            .as_ref()
                            .and_then(|k| k.card(&shown))
                            .and_then(|c| c.value)
                    })
                    .or_else(|| {
                        if shown == "½" {
                            Some(0.5)
                        } else {
                            parse_float(&shown)
                        }
                    });
                let Some(value) = value else {
                    problems.push(Problem::at(
                        &raw.file,
                        *line,
                        Some("value"),
                        format!(
                            "card \"{}\" is not a number: give its points in the value column",
                            echo(card)
                        ),
                    ));
                    continue;
                };
                if deck.cards.iter().any(|c| c.shown == shown) {
                    problems.push(Problem::at(
                        &raw.file,
                        *line,
                        Some("card"),
                        format!(
                            "card \"{}\" is listed twice for team \"{}\"",
                            echo(card),
                            echo(team)
                        ),
                    ));
                    continue;
                }
                deck.cards.push(Card {
                    shown,
                    value: Some(value),
                });
            }
            deck
        };
        for (k, c) in deck.cards.iter().enumerate() {
            // A listed card's own line (with no problem, every listed card is in the deck,
            // in order); a named deck's line.
            line_col.push(listed.get(k).map_or(*line as u32, |l| l.2 as u32));
            team_col.append_value(team);
            pos_col.push(Some(k as i32));
            card_col.append_value(&c.shown);
            value_col.push(c.value);
            deck_col.append_value(&deck.name);
        }
    }
    if problems.total > before {
        return None;
    }
    let spec = spec(Kind::Decks);
    let batch = spec.batch(vec![
        Arc::new(team_col.finish()),
        Arc::new(Int32Array::from(pos_col)),
        Arc::new(card_col.finish()),
        Arc::new(Float64Array::from(value_col)),
        Arc::new(deck_col.finish()),
    ]);
    Some(Frame {
        kind: Kind::Decks,
        file: raw.file.clone(),
        batch,
        present: spec.columns.iter().map(|(c, _)| *c).collect(),
        teams: named.programs,
        lines: line_col,
        team_lines: named.lines,
    })
}

/// Reads the decks of a decks frame back, for votes checked in the same ingest.
pub fn decks_in_frame(frame: &Frame) -> HashMap<String, Deck> {
    let b = &frame.batch;
    let team = b
        .column(0)
        .as_any()
        .downcast_ref::<StringArray>()
        .expect("team");
    let card = b
        .column(2)
        .as_any()
        .downcast_ref::<StringArray>()
        .expect("card");
    let value = b
        .column(3)
        .as_any()
        .downcast_ref::<Float64Array>()
        .expect("value");
    let deck = b
        .column(4)
        .as_any()
        .downcast_ref::<StringArray>()
        .expect("deck");
    let mut out: HashMap<String, Deck> = HashMap::new();
    for row in 0..b.num_rows() {
        let d = out
            .entry(team.value(row).to_string())
            .or_insert_with(|| Deck {
                name: deck.value(row).to_string(),
                cards: Vec::new(),
            });
        d.cards.push(Card {
            shown: card.value(row).to_string(),
            value: value.is_valid(row).then(|| value.value(row)),
        });
    }
    out
}
