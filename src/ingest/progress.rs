//! A progress bar on stderr for long runs; silent unless stderr is a terminal.

use std::io::{IsTerminal, Write};
use std::time::Instant;

pub struct Progress {
    enabled: bool,
    total: usize,
    done: usize,
    started: Instant,
}

impl Progress {
    /// A bar of `total` steps, drawn only when `wanted` and stderr is a terminal.
    pub fn new(wanted: bool, total: usize) -> Progress {
        Progress {
            enabled: wanted && std::io::stderr().is_terminal(),
            total: total.max(1),
            done: 0,
            started: Instant::now(),
        }
    }

    /// Marks the start of the next step and redraws the bar.
    pub fn step(&mut self, what: &str) {
        self.done = (self.done + 1).min(self.total);
        if !self.enabled {
            return;
        }
        let width = 24;
        let filled = width * (self.done - 1) / self.total;
        let mut what: String = what.chars().take(60).collect();
        if what.len() < 60 {
            what.push_str(&" ".repeat(60 - what.chars().count()));
        }
        let mut err = std::io::stderr().lock();
        let _ = write!(
            err,
            "\r[{}{}] {:>3}% {:>5.1}s {}",
            "#".repeat(filled),
            "-".repeat(width - filled),
            100 * (self.done - 1) / self.total,
            self.started.elapsed().as_secs_f64(),
            what
        );
        let _ = err.flush();
    }

    /// Removes the bar from the terminal.
    pub fn clear(&mut self) {
        if self.enabled {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r{}\r", " ".repeat(100));
            let _ = err.flush();
        }
    }
}
