//! Viesti: a business's AI support chatbot, answering text messages from the business's own Twilio number.
//!
//! One crate, two builds: `ssr` (the axum server, with everything in [`server`]) and `hydrate` (the
//! browser bundle). Modules outside [`server`] are compiled for both and must stay free of I/O.
// The inbox's views nest deeper than the compiler's default type-query depth.
#![recursion_limit = "256"]

pub mod app;
pub mod components;
pub mod domain;
pub mod error;
pub mod pages;
pub mod routes;
#[cfg(feature = "ssr")]
pub mod server;
pub mod server_fns;
pub mod wire;

/// The browser entry point that cargo-leptos calls after loading the wasm bundle.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // Pages are lazy routes whose wasm chunks load on demand, so hydration is asynchronous. The mark
    // on <body> tells tests (and curious people) that it is done, the route's page included; an
    // effect in `App` would run before the page's chunk had hydrated.
    wasm_bindgen_futures::spawn_local(async {
        let Some(body) = leptos::prelude::document().body() else {
            return;
        };
        leptos::mount::hydrate_from_async(body.clone(), app::App)
            .await
            .forget();
        let _ = body.set_attribute(components::live::HYDRATED_ATTRIBUTE, "");
    });
}
