//! The report server, a thin face over the page models in [`crate::present::pages`]: axum
//! routes ([`handlers`]), minijinja pages ([`templates`], autoescaped), a JSON twin under `/api`
//! for every page, shared state and the report cache ([`state`]), error pages ([`error`]), and
//! the same pages as static files ([`site`]).

pub mod error;
pub mod handlers;
pub mod site;
pub mod state;
pub mod templates;

use crate::error::Error;
use crate::settings::Settings;
use crate::store::Store;
pub use handlers::app;
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

/// Serves on `bind` until interrupted, printing the URL.
pub fn serve(
    store: Store,
    settings: Settings,
    bind: &str,
    out: &mut dyn std::io::Write,
) -> crate::error::Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(Error::io("<runtime>", "cannot start the server runtime"))?;
    rt.block_on(async {
        let (listener, addr) = listen(bind).await?;
        let _ = writeln!(
            out,
            "sprintlens serving on http://{addr}/ (Ctrl-C stops it)"
        );
        let _ = out.flush();
        let state = AppState::new(store, settings);
        let warming = state.clone();
        tokio::task::spawn_blocking(move || warming.warm());
        axum::serve(listener, app(state))
            .with_graceful_shutdown(async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await
            .map_err(Error::io(bind, "the server stopped"))
    })
}
