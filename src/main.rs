//! The `sprintlens` binary: parse, run, map the result to an exit code.

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = match sprintlens::cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // Help and version go to stdout with 0; a bad command line is bad input: exit 1.
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    let result = cli
        .into_config()
        .and_then(|config| sprintlens::commands::run(config, &mut std::io::stdout().lock()));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", sprintlens::error::cause_chain(&e));
            ExitCode::from(e.exit_code() as u8)
        }
    }
}
