//! Ingest: natural keys are unique within a file (the same voter twice in one round, the same
//! story twice in a sprint, ...). One hash per row, sorted, compared only within equal hashes.

use crate::domain::Kind;
use crate::domain::schema::{Frame, KindSpec, spec};
use crate::error::{Problem, Problems, shown, shown_list};
use crate::ingest::read::RawTable;
use duckdb::arrow::array::{Array, Int32Array, StringArray, TimestampMicrosecondArray};
use duckdb::arrow::record_batch::RecordBatch;

/// A fast hash for natural keys (FxHash's multiply-rotate with a final avalanche); equal
/// hashes are always confirmed by comparing the keys themselves.
#[derive(Default)]
struct KeyHasher(u64);

impl std::hash::Hasher for KeyHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut w = [0u8; 8];
            w[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(w));
        }
    }
    fn write_u64(&mut self, w: u64) {
        self.0 = (self.0.rotate_left(5) ^ w).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    fn write_u8(&mut self, w: u8) {
        self.write_u64(w as u64);
    }
    fn write_i32(&mut self, w: i32) {
        self.write_u64(w as u32 as u64);
    }
    fn finish(&self) -> u64 {
        let mut z = self.0;
        z = (z ^ (z >> 33)).wrapping_mul(0xff51_afd7_ed55_8ccd);
        z = (z ^ (z >> 33)).wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        z ^ (z >> 33)
    }
}

/// The natural-key columns of a frame's batch.
struct KeyColumns<'a> {
    cols: Vec<KeyCol<'a>>,
}

enum KeyCol<'a> {
    Text(&'a StringArray),
    Int(&'a Int32Array),
    Time(&'a TimestampMicrosecondArray),
}

impl<'a> KeyColumns<'a> {
    fn of(spec: &KindSpec, batch: &'a RecordBatch) -> KeyColumns<'a> {
        let cols = spec
            .keys
            .iter()
            .map(|k| {
                let a = batch.column_by_name(k).expect("key column");
                if let Some(s) = a.as_any().downcast_ref::<StringArray>() {
                    KeyCol::Text(s)
                } else if let Some(t) = a.as_any().downcast_ref::<TimestampMicrosecondArray>() {
                    KeyCol::Time(t)
                } else {
                    KeyCol::Int(
                        a.as_any()
                            .downcast_ref::<Int32Array>()
                            .expect("text, int or time key"),
                    )
                }
            })
            .collect();
        KeyColumns { cols }
    }

    fn hash(&self, row: usize) -> u64 {
        use std::hash::Hasher;
        let mut h = KeyHasher::default();
        for k in &self.cols {
            match k {
                KeyCol::Text(s) => {
                    h.write(s.value(row).as_bytes());
                    h.write_u8(0xff);
                }
                KeyCol::Int(i) => h.write_i32(i.value(row)),
                KeyCol::Time(t) => h.write_u64(t.value(row) as u64),
            }
        }
        h.finish()
    }

    fn text(&self, row: usize) -> Vec<String> {
        self.cols
            .iter()
            .map(|k| match k {
                KeyCol::Text(s) => s.value(row).to_string(),
                KeyCol::Int(i) => i.value(row).to_string(),
                KeyCol::Time(t) => chrono::DateTime::from_timestamp_micros(t.value(row))
                    .map(|d| d.naive_utc().to_string())
                    .unwrap_or_default(),
            })
            .collect()
    }

    fn same(&self, a: usize, other: &KeyColumns, b: usize) -> bool {
        self.cols
            .iter()
            .zip(&other.cols)
            .all(|(x, y)| match (x, y) {
                (KeyCol::Text(s), KeyCol::Text(t)) => s.value(a) == t.value(b),
                (KeyCol::Int(i), KeyCol::Int(j)) => i.value(a) == j.value(b),
                (KeyCol::Time(i), KeyCol::Time(j)) => i.value(a) == j.value(b),
                _ => false,
            })
    }
}

/// Rows (frame, row) that share a key with an earlier row, with that earlier row: one hash per
/// row, sorted, so rows with equal keys end up next to each other and keys are compared only
/// within a run of equal hashes. (A sort beats a hash table of millions of entries: it walks
/// memory in order.) Rows are numbered across the frames in order.
fn repeats(keys: &[KeyColumns], sizes: &[usize]) -> Vec<((usize, usize), (usize, usize))> {
    let mut hashed: Vec<(u64, u32, u32)> = Vec::with_capacity(sizes.iter().sum());
    for (f, (k, n)) in keys.iter().zip(sizes).enumerate() {
        hashed.extend((0..*n).map(|row| (k.hash(row), f as u32, row as u32)));
    }
    hashed.sort_unstable();
    let mut out = Vec::new();
    let mut i = 0;
    while i < hashed.len() {
        let mut j = i + 1;
        while j < hashed.len() && hashed[j].0 == hashed[i].0 {
            j += 1;
        }
        // Within the run rows are in order; each row repeats the first earlier row with the
        // same key.
        for b in i + 1..j {
            let (fb, rb) = (hashed[b].1 as usize, hashed[b].2 as usize);
            if let Some((fa, ra)) = (i..b)
                .map(|a| (hashed[a].1 as usize, hashed[a].2 as usize))
                .find(|&(fa, ra)| keys[fa].same(ra, &keys[fb], rb))
            {
                out.push(((fb, rb), (fa, ra)));
            }
        }
        i = j;
    }
    out.sort_unstable();
    out
}

/// A vote's key in words: voter "ann" ... round 2 of story "PAY-1" (in session "s").
fn vote_words(key: &[String]) -> (String, String) {
    (
        shown(&key[4]),
        format!(
            "round {} of story \"{}\"{}",
            key[3],
            shown(&key[2]),
            if key[1].is_empty() {
                String::new()
            } else {
                format!(" in session \"{}\"", shown(&key[1]))
            }
        ),
    )
}

/// Reports rows of one file that share a natural key (the same voter twice in one round, ...).
pub fn check_unique_keys(
    raw: &RawTable,
    spec: &KindSpec,
    batch: &RecordBatch,
    problems: &mut Problems,
) {
    let keys = [KeyColumns::of(spec, batch)];
    for ((_, row), (_, r)) in repeats(&keys, &[batch.num_rows()]) {
        let mine = keys[0].text(row);
        let what = match spec.kind {
            Kind::Votes => {
                let (voter, round) = vote_words(&mine);
                format!(
                    "voter \"{voter}\" voted twice in {round} (first on line {})",
                    raw.line(r)
                )
            }
            _ => format!(
                "the same {} ({}) appears twice in the file (first on line {})",
                spec.keys.join(", "),
                shown_list(&mine, 5),
                raw.line(r)
            ),
        };
        problems.push(Problem::at(&raw.file, raw.line(row), None, what));
    }
}

/// A cell as text for messages, and for comparing two files' values of one column.
fn cell(a: &dyn Array, row: usize) -> Option<String> {
    if a.is_null(row) {
        return None;
    }
    let v = duckdb::arrow::util::display::array_value_to_string(a, row).ok()?;
    Some(v)
}

/// Across the files of one call, a key must not get two values: whichever file came last would
/// win, and the result would depend on the order the files were given in. Reports every row
/// whose key an earlier file of the same kind gave a different value in a column both files
/// have. (Decks are whole per team; [`crate::ingest::rules`] compares them.)
pub fn check_across_files(frames: &[&Frame], problems: &mut Problems) {
    let Some(first) = frames.first() else { return };
    if frames.len() < 2 {
        return;
    }
    let spec = spec(first.kind);
    let keys: Vec<KeyColumns> = frames
        .iter()
        .map(|f| KeyColumns::of(spec, &f.batch))
        .collect();
    let sizes: Vec<usize> = frames.iter().map(|f| f.batch.num_rows()).collect();
    for ((fb, rb), (fa, ra)) in repeats(&keys, &sizes) {
        if fa == fb {
            continue; // within one file: reported by check_unique_keys
        }
        let (a, b) = (frames[fa], frames[fb]);
        let differs = b.present.iter().find(|c| {
            !spec.keys.contains(c)
                && a.present.contains(c)
                && cell(a.batch.column_by_name(c).expect("column").as_ref(), ra)
                    != cell(b.batch.column_by_name(c).expect("column").as_ref(), rb)
        });
        let Some(col) = differs else { continue };
        let value = |f: &Frame, r: usize| {
            cell(f.batch.column_by_name(col).expect("column").as_ref(), r)
                .map(|v| shown(&v))
                .unwrap_or_else(|| "empty".into())
        };
        let key = keys[fb].text(rb);
        let there = format!("{}:{}", a.file, a.lines[ra]);
        let what = match spec.kind {
            Kind::Votes if *col == "card" => {
                let (voter, round) = vote_words(&key);
                format!(
                    "voter \"{voter}\" voted {} in {round} in {there} and {} here; one vote per \
                     voter and round (the result must not depend on the order of the files)",
                    value(a, ra),
                    value(b, rb)
                )
            }
            _ => format!(
                "the same {} ({}) has {col} {} in {there} and {} here; a key gets one value per \
                 call (the result must not depend on the order of the files)",
                spec.keys.join(", "),
                shown_list(&key, 5),
                value(a, ra),
                value(b, rb)
            ),
        };
        problems.push(Problem::at(&b.file, b.lines[rb] as usize, Some(col), what));
    }
}
