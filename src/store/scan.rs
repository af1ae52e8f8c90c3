//! `frame_scan(id)`: a table function over Arrow record batches that DuckDB reads on as many
//! threads as it has. It is how an ingest hands its checked frames to DuckDB in bulk: one
//! `insert ... select * from frame_scan(id)` instead of appending value by value, so converting
//! and writing run on every core.
//!
//! Batches are registered under an id for as long as the [`Registered`] guard lives; each call
//! of the function hands out the next slice of at most one DuckDB vector.

use duckdb::Connection;
use duckdb::arrow::record_batch::RecordBatch;
use duckdb::core::{DataChunkHandle, LogicalTypeHandle, LogicalTypeId};
use duckdb::vtab::{
    BindInfo, InitInfo, TableFunctionInfo, VTab, record_batch_to_duckdb_data_chunk,
    to_duckdb_logical_type,
};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock, Mutex};

/// The name of the function in SQL.
pub const FRAME_SCAN: &str = "frame_scan";

static REGISTRY: LazyLock<Mutex<HashMap<u64, Arc<Vec<RecordBatch>>>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// Batches readable as `frame_scan(id)` while this lives.
pub struct Registered {
    pub id: u64,
}

impl Registered {
    /// `frame_scan(<id>)`, for a query's FROM.
    pub fn source(&self) -> String {
        format!("{FRAME_SCAN}({})", self.id)
    }
}

impl Drop for Registered {
    fn drop(&mut self) {
        if let Ok(mut r) = REGISTRY.lock() {
            r.remove(&self.id);
        }
    }
}

/// Makes `batches` (all of one schema) readable as `frame_scan(id)`.
pub fn register(batches: Vec<RecordBatch>) -> Registered {
    let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    REGISTRY
        .lock()
        .expect("the frame registry is never poisoned")
        .insert(id, Arc::new(batches));
    Registered { id }
}

/// Adds the function to a connection's database.
pub fn install(conn: &Connection) -> duckdb::Result<()> {
    conn.register_table_function::<FrameScan>(FRAME_SCAN)
}

pub struct FrameScan;

/// The batches of one scan, cut into slices of at most one vector: (batch, offset, length).
pub struct ScanBind {
    batches: Arc<Vec<RecordBatch>>,
    slices: Vec<(usize, usize, usize)>,
}

/// The next slice to hand out, shared by every thread of the scan.
pub struct ScanInit {
    next: AtomicUsize,
}

impl VTab for FrameScan {
    type InitData = ScanInit;
    type BindData = ScanBind;

    fn bind(bind: &BindInfo) -> Result<ScanBind, Box<dyn std::error::Error>> {
        let id = bind.get_parameter(0).to_int64() as u64;
        let batches = REGISTRY
            .lock()
            .map_err(|_| "the frame registry is poisoned")?
            .get(&id)
            .cloned()
            .ok_or_else(|| format!("no frame registered as {id}"))?;
        let first = batches.first().ok_or("no batches to scan")?;
        for f in first.schema().fields() {
            bind.add_result_column(f.name(), to_duckdb_logical_type(f.data_type())?);
        }
        let vector = unsafe { duckdb::ffi::duckdb_vector_size() } as usize;
        let mut slices = Vec::new();
        for (b, batch) in batches.iter().enumerate() {
            let mut offset = 0;
            while offset < batch.num_rows() {
                let len = vector.min(batch.num_rows() - offset);
                slices.push((b, offset, len));
                offset += len;
            }
        }
        Ok(ScanBind { batches, slices })
    }

    fn init(init: &InitInfo) -> Result<ScanInit, Box<dyn std::error::Error>> {
        let threads = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1);
        init.set_max_threads(threads as u64);
        Ok(ScanInit {
            next: AtomicUsize::new(0),
        })
    }

    fn func(
        func: &TableFunctionInfo<Self>,
        output: &mut DataChunkHandle,
    ) -> Result<(), Box<dyn std::error::Error>> {
        let bind = func.get_bind_data();
        let init = func.get_init_data();
        let i = init.next.fetch_add(1, Ordering::Relaxed);
        match bind.slices.get(i) {
            None => output.set_len(0),
            Some(&(b, offset, len)) => {
                let slice = bind.batches[b].slice(offset, len);
                record_batch_to_duckdb_data_chunk(&slice, output)?;
            }
        }
        Ok(())
    }

    fn parameters() -> Option<Vec<LogicalTypeHandle>> {
        Some(vec![LogicalTypeHandle::from(LogicalTypeId::Bigint)])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use duckdb::arrow::array::{ArrayRef, Int32Array, StringArray};

    #[test]
    fn duckdb_reads_registered_batches_on_every_thread() {
        let conn = Connection::open_in_memory().unwrap();
        install(&conn).unwrap();
        let n = 10_000;
        let a: ArrayRef = Arc::new(Int32Array::from_iter_values(0..n));
        let b: ArrayRef = Arc::new(StringArray::from_iter_values(
            (0..n).map(|i| format!("s{i}")),
        ));
        let batch = RecordBatch::try_from_iter([("a", a), ("b", b)]).unwrap();
        let r = register(vec![batch.clone(), batch]);
        let (count, sum, strings): (i64, i64, i64) = conn
            .query_row(
                &format!(
                    "select count(*), sum(a), count(distinct b) from {}",
                    r.source()
                ),
                [],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
            )
            .unwrap();
        assert_eq!(
            (count, sum, strings),
            (20_000, 2 * (n as i64) * (n as i64 - 1) / 2, 10_000)
        );
        // A connection cloned from this one shares the function (defined once per database).
        let other = conn.try_clone().unwrap();
        let n: i64 = other
            .query_row(&format!("select count(*) from {}", r.source()), [], |row| {
                row.get(0)
            })
            .unwrap();
        assert_eq!(n, 20_000);
        assert!(install(&other).is_err(), "a second definition is refused");
    }
}
