//! Times as the reader's clock shows them.
use crate::server_fns::inbox::Stamp;
use leptos::prelude::*;

/// A `<time>` that the server renders in UTC and the browser turns into the reader's local time.
#[component]
pub fn LocalTime(stamp: Stamp) -> impl IntoView {
    let text = RwSignal::new(stamp.label.clone());
    #[cfg(feature = "hydrate")]
    {
        let iso = stamp.iso.clone();
        Effect::new(move |_| text.set(local(&iso)));
    }
    view! { <time datetime=stamp.iso.clone() title=stamp.label.clone()>{move || text.get()}</time> }
}

#[cfg(feature = "hydrate")]
fn local(iso: &str) -> String {
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_str(iso));
    let options = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&options, &"dateStyle".into(), &"medium".into());
    let _ = js_sys::Reflect::set(&options, &"timeStyle".into(), &"short".into());
    date.to_locale_string("default", &options).into()
}
