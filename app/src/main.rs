//! Mind's Eye playground: a client-side Leptos app served as static files.

mod about;
mod app;
mod batch_view;
mod bench;
mod browser;
mod engine;
mod gpu_status;
mod karel;
mod models;
mod provenance;
mod route;
mod sgp;

fn main() {
    install_panic_banner();
    leptos::mount::mount_to_body(app::App);
}

/// Last line of defence: input is validated everywhere, but if a bug still panics, the wasm
/// instance is dead. Say so in plain words instead of leaving a frozen page.
fn install_panic_banner() {
    std::panic::set_hook(Box::new(|info| {
        web_sys::console::error_1(&format!("Mind's Eye panicked: {info}").into());
        let Some(document) = web_sys::window().and_then(|w| w.document()) else { return };
        let (Ok(banner), Some(body)) = (document.create_element("div"), document.body()) else { return };
        banner.set_class_name("fatal");
        let _ = banner.set_attribute("role", "alert");
        banner.set_text_content(Some(
            "Mind's Eye hit an internal error and stopped. Reload the page to continue; \
             nothing you loaded has left this browser.",
        ));
        let _ = body.append_child(&banner);
    }));
}
