//! The report server, a thin face over the page models in [`crate::present::pages`]: axum
//! routes ([`handlers`]) and their query parameters ([`query`]), minijinja pages ([`templates`],
//! autoescaped), a JSON twin under `/api` for every page, shared state and the report cache
//! ([`state`]), kept ready ahead of visits ([`refresh`]), error pages ([`error`]), and the same
//! pages as static files ([`site`]); as a team service: data sent over HTTP ([`upload`]), tokens
//! ([`tokens`]), the bounded report cache ([`cache`]) and the hardened accept loop, access rules
//! and request logs ([`server`]).

pub mod cache;
pub mod client;
pub mod error;
pub mod handlers;
pub mod headers;
pub mod keyfile;
pub mod query;
pub mod refresh;
pub mod reports;
pub mod room;
pub mod rounds;
pub mod server;
pub mod site;
pub mod sources;
pub mod state;
pub mod sync;
pub mod templates;
pub mod tokens;
pub mod upload;

use crate::error::Error;
use crate::settings::Settings;
use crate::store::Store;
pub use handlers::app;
pub use server::ServeOptions;
pub use state::AppState;

/// Connections the system holds for the server before it takes them. The usual 128 overflows
/// when a few hundred clients connect at once (a proxy opening its pool, a load test): a
/// connection beyond it waits for the client's SYN to be sent again, a second later. The system
/// caps it at its own maximum (`net.core.somaxconn`).
const BACKLOG: u32 = 4096;

/// Binds `bind` (refusing what cannot be bound) and returns the listener and its address.
pub async fn listen(
    bind: &str,
) -> crate::error::Result<(tokio::net::TcpListener, std::net::SocketAddr)> {
    let cannot =
        |e: std::io::Error| Error::Usage(format!("--bind {bind}: cannot listen there: {e}"));
    let mut failed = None;
    for addr in tokio::net::lookup_host(bind).await.map_err(cannot)? {
        match listen_on(addr) {
            Ok(listener) => {
                let addr = listener
                    .local_addr()
                    .map_err(Error::io(bind, "cannot read the bound address"))?;
                return Ok((listener, addr));
            }
            Err(e) => failed = Some(e),
        }
    }
    Err(cannot(failed.unwrap_or_else(|| {
        std::io::Error::new(std::io::ErrorKind::AddrNotAvailable, "no address to bind")
    })))
}

/// A listener on `addr` with room for [`BACKLOG`] waiting connections.
fn listen_on(addr: std::net::SocketAddr) -> std::io::Result<tokio::net::TcpListener> {
    let socket = if addr.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    // As the standard listener: a restarted server binds again at once.
    #[cfg(not(windows))]
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(BACKLOG)
}

/// Serves the store (opened for writing: the server is its one writer) until interrupted,
/// printing the URL. Writes the address file a local `sprintlens ingest` finds it by.
pub fn serve(
    store: Store,
    settings: Settings,
    options: ServeOptions,
    out: &mut dyn std::io::Write,
) -> crate::error::Result<()> {
    server::start_logs(options.log_format);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(Error::io("<runtime>", "cannot start the server runtime"))?;
    rt.block_on(async {
        let (listener, addr) = listen(&options.bind).await?;
        let db = store.path().to_path_buf();
        let local = tokens::new_secret()?;
        upload::remove_stale_scratch();
        let _address = server::AddressFile::write(&db, addr, &local)?;
        let state = AppState::new(store, settings, options.cache_bytes)?;
        let access = server::Access {
            keyring: tokens::Keyring::new(&db, Some(local)),
            reads_open: options.public || server::is_loopback(addr),
            local: server::is_loopback(addr),
        };
        let _ = writeln!(
            out,
            "sprintlens serving on http://{addr}/ (Ctrl-C stops it): {}{}",
            db.display(),
            if access.reads_open {
                ""
            } else {
                "; pages need a read token (sign in at /sign-in)"
            }
        );
        let _ = out.flush();
        let refresher =
            refresh::start(&state).map_err(Error::io("<refresh>", "cannot start the refresher"))?;
        sync::start(&state);
        let app = handlers::router(state.clone(), access, &options);
        let stopping = state.stopping.clone();
        let stop = async move {
            server::stop_signal().await;
            stopping.send_replace(true);
        };
        server::run(listener, app, &options, stop).await;
        // A clean close: the refresher done with its report, then the log moved into the file,
        // so the database file is whole by itself (no `.wal` beside it).
        state.refresh.stop();
        let _ = tokio::task::spawn_blocking(move || {
            let _ = refresher.join();
            state.stop_writing();
        })
        .await;
        tracing::info!("stopped");
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_of_connections_waits_for_the_server_instead_of_being_dropped() {
        // As many as the system lets one listener hold, up to 300 (more than the usual 128).
        let cap = std::fs::read_to_string("/proc/sys/net/core/somaxconn")
            .ok()
            .and_then(|s| s.trim().parse::<usize>().ok())
            .unwrap_or(300);
        let n = cap.clamp(1, 300);
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        // Nothing accepts: every connection has to wait in the listener's queue.
        let (listener, addr) = rt.block_on(listen("127.0.0.1:0")).unwrap();
        let held: Vec<std::net::TcpStream> = (0..n)
            .map(|i| {
                std::net::TcpStream::connect_timeout(&addr, std::time::Duration::from_secs(5))
                    .unwrap_or_else(|e| panic!("connection {i} of {n} was not held: {e}"))
            })
            .collect();
        assert_eq!(held.len(), n);
        drop(listener);
    }
}
