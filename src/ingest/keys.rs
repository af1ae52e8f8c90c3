//! Ingest: natural keys are unique within a file (the same voter twice in one round, the same
//! story twice in a sprint, ...). One hash per row, sorted, compared only within equal hashes.

use crate::domain::Kind;
use crate::domain::schema::KindSpec;
use crate::error::{Problem, Problems};
use crate::ingest::read::RawTable;
use duckdb::arrow::array::{Array, Int32Array, StringArray};
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

/// Reports rows of one file that share a natural key (the same voter twice in one round, ...).
pub fn check_unique_keys(
    raw: &RawTable,
    spec: &KindSpec,
    batch: &RecordBatch,
    problems: &mut Problems,
) {
    use std::hash::Hasher;
    enum KeyCol<'a> {
        Text(&'a StringArray),
        Int(&'a Int32Array),
    }
    let keys: Vec<KeyCol> = spec
        .keys
        .iter()
        .map(|k| {
            let a = batch.column_by_name(k).expect("key column");
            match a.as_any().downcast_ref::<StringArray>() {
                Some(s) => KeyCol::Text(s),
                None => KeyCol::Int(
                    a.as_any()
                        .downcast_ref::<Int32Array>()
                        .expect("text or int key"),
                ),
            }
        })
        .collect();
    let key_text = |row: usize| -> Vec<String> {
        keys.iter()
            .map(|k| match k {
                KeyCol::Text(s) => s.value(row).to_string(),
                KeyCol::Int(i) => i.value(row).to_string(),
            })
            .collect()
    };
    let same_key = |a: usize, b: usize| -> bool {
        keys.iter().all(|k| match k {
            KeyCol::Text(s) => s.value(a) == s.value(b),
            KeyCol::Int(i) => i.value(a) == i.value(b),
        })
    };
    // One hash per row, sorted: rows with equal keys end up next to each other, and keys are
    // compared only within a run of equal hashes. (A sort beats a hash table of millions of
    // entries: it walks memory in order.)
    let mut hashed: Vec<(u64, u32)> = (0..batch.num_rows())
        .map(|row| {
            let mut h = KeyHasher::default();
            for k in &keys {
                match k {
                    KeyCol::Text(s) => {
                        h.write(s.value(row).as_bytes());
                        h.write_u8(0xff);
                    }
                    KeyCol::Int(i) => h.write_i32(i.value(row)),
                }
            }
            (h.finish(), row as u32)
        })
        .collect();
    hashed.sort_unstable();
    let mut dups: Vec<(usize, usize)> = Vec::new();
    let mut i = 0;
    while i < hashed.len() {
        let mut j = i + 1;
        while j < hashed.len() && hashed[j].0 == hashed[i].0 {
            j += 1;
        }
        // Within the run rows are in file order; each row is a duplicate of the first
        // earlier row with the same key.
        for b in i + 1..j {
            let row = hashed[b].1 as usize;
            if let Some(a) = (i..b)
                .map(|a| hashed[a].1 as usize)
                .find(|&a| same_key(a, row))
            {
                dups.push((row, a));
            }
        }
        i = j;
    }
    dups.sort_unstable();
    for (row, r) in dups {
        let mine = key_text(row);
        let what = match spec.kind {
            Kind::Votes => format!(
                "voter \"{}\" voted twice in round {} of story \"{}\"{} (first on line {})",
                mine[4],
                mine[3],
                mine[2],
                if mine[1].is_empty() {
                    String::new()
                } else {
                    format!(" in session \"{}\"", mine[1])
                },
                raw.line(r)
            ),
            _ => format!(
                "the same {} ({}) appears twice in the file (first on line {})",
                spec.keys.join(", "),
                mine.join(", "),
                raw.line(r)
            ),
        };
        problems.push(Problem::at(&raw.file, raw.line(row), None, what));
    }
}
