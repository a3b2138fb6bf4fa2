//! `agentry-api`: config → connect → migrate → serve until SIGINT/SIGTERM.

use agentry_app::{ApiConfig, App, init_tracing, shutdown_signal};

// glibc's allocator took about 15% of the server's CPU under load (perf).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> anyhow::Result<()> {
    let config = ApiConfig::load();
    init_tracing(config.log_format, &config.log);
    config.runtime()?.block_on(run(config))
}

async fn run(config: ApiConfig) -> anyhow::Result<()> {
    let shutdown = shutdown_signal();
    let app = App::build(config).await?;
    if let Some(token) = &app.bootstrap_token {
        // Printed once, to stdout, so the operator can capture it; never logged.
        println!("created the first admin; its token (shown once): {token}");
    }
    let listener = app.bind().await?;
    app.serve(listener, shutdown).await
}
