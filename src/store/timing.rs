//! `SPRINTLENS_TIMING=1`: the wall time of each named query and write, on stderr.

/// `SPRINTLENS_TIMING=1` (as for an ingest's phases): every named query prints its wall time to
/// stderr when its rows have been read, to find where a command or page spends its time.
static QUERY_TIMES: std::sync::LazyLock<bool> =
    std::sync::LazyLock::new(|| std::env::var_os("SPRINTLENS_TIMING").is_some());

/// Times one query while it lives (see [`QUERY_TIMES`]).
pub struct Timed<'a>(&'a str, std::time::Instant);

impl<'a> Timed<'a> {
    pub fn start(name: &'a str) -> Timed<'a> {
        Timed(name, std::time::Instant::now())
    }
}

impl Drop for Timed<'_> {
    fn drop(&mut self) {
        if *QUERY_TIMES {
            eprintln!(
                "query {:>9.2} ms  {}",
                self.1.elapsed().as_secs_f64() * 1000.0,
                self.0
            );
        }
    }
}
