//! The report server, a thin face over the page models in [`crate::present::pages`]: axum
//! routes ([`handlers`]), minijinja pages ([`templates`], autoescaped), a JSON twin under `/api`
//! for every page, shared state and the report cache ([`state`]), error pages ([`error`]), and
//! the same pages as static files ([`site`]); as a team service: data sent over HTTP
//! ([`upload`]), tokens ([`tokens`]), the bounded report cache ([`cache`]) and the hardened
//! accept loop, access rules and request logs ([`server`]).

pub mod cache;
pub mod client;
pub mod error;
pub mod handlers;
pub mod keyfile;
pub mod rounds;
pub mod server;
pub mod site;
pub mod sources;
pub mod state;
pub mod templates;
pub mod tokens;
pub mod upload;

use crate::error::Error;
use crate::settings::Settings;
use crate::store::Store;
pub use handlers::app;
pub use server::ServeOptions;
pub use state::AppState;

/// Binds `bind` (refusing what cannot be bound) and returns the listener and its address.
pub async fn listen(
    bind: &str,
) -> crate::error::Result<(tokio::net::TcpListener, std::net::SocketAddr)> {
    let listener = tokio::net::TcpListener::bind(bind)
        .await
        .map_err(|e| Error::Usage(format!("--bind {bind}: cannot listen there: {e}")))?;
    let addr = listener
        .local_addr()
        .map_err(Error::io(bind, "cannot read the bound address"))?;
    Ok((listener, addr))
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
        let _address = server::AddressFile::write(&db, addr, &local)?;
        let state = AppState::new(store, settings, options.cache_bytes)?;
        let access = server::Access {
            keyring: tokens::Keyring::new(&db, Some(local)),
            reads_open: options.public || server::is_loopback(addr),
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
        let warming = state.clone();
        tokio::task::spawn_blocking(move || warming.warm());
        let app = handlers::router(state, access, &options);
        server::run(listener, app, &options, server::stop_signal()).await;
        tracing::info!("stopped");
        Ok(())
    })
}
