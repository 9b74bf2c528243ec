//! Leptos.toml (read by the server at run time) and [package.metadata.leptos] in Cargo.toml (read by
//! cargo-leptos at build time) must agree on every key they share, or the server would look for the
//! bundle where the build did not put it.
use std::path::Path;

fn leptos_table(path: &str) -> toml::Table {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(path))
        .expect("readable");
    let root: toml::Table = text.parse().expect("valid TOML");
    root["package"]["metadata"]["leptos"]
        .as_table()
        .expect("[package.metadata.leptos]")
        .clone()
}

#[test]
fn leptos_toml_and_cargo_toml_agree_on_shared_keys() {
    let runtime = leptos_table("Leptos.toml");
    let build = leptos_table("Cargo.toml");
    let shared: Vec<_> = runtime.keys().filter(|k| build.contains_key(*k)).collect();
    for key in [
        "output-name",
        "site-root",
        "site-pkg-dir",
        "site-addr",
        "reload-port",
    ] {
        assert!(
            shared.iter().any(|k| k.as_str() == key),
            "{key} must be in both files"
        );
    }
    for key in shared {
        assert_eq!(
            runtime[key], build[key],
            "{key} differs between Leptos.toml and Cargo.toml"
        );
    }
}

#[test]
fn the_server_reads_leptos_toml_without_leptos_variables() {
    // leptos_config lets LEPTOS_* override the file; this test runs without them.
    if std::env::vars().any(|(k, _)| k.starts_with("LEPTOS_")) {
        return;
    }
    let options = leptos::config::get_configuration(Some(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/Leptos.toml"
    )))
    .expect("Leptos.toml parses")
    .leptos_options;
    let file = leptos_table("Leptos.toml");
    assert_eq!(
        *options.output_name,
        *file["output-name"].as_str().expect("string")
    );
    assert_eq!(
        *options.site_root,
        *file["site-root"].as_str().expect("string")
    );
    assert_eq!(
        *options.site_pkg_dir,
        *file["site-pkg-dir"].as_str().expect("string")
    );
    assert_eq!(
        options.site_addr.to_string(),
        file["site-addr"].as_str().expect("string")
    );
}
