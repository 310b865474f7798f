//! What the app asks of the browser: fetching bundled files, reading a picked file, downloads,
//! the clipboard, a clock and the page address. Every failure comes back as a sentence, never a panic.

use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

fn describe(error: JsValue) -> String {
    error
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| error.as_string())
        .unwrap_or_else(|| "the browser refused".into())
}

fn window() -> Result<web_sys::Window, String> {
    web_sys::window().ok_or_else(|| "no browser window".into())
}

async fn fetch(url: &str) -> Result<web_sys::Response, String> {
    let response = JsFuture::from(window()?.fetch_with_str(url)).await.map_err(describe)?;
    let response: web_sys::Response = response.dyn_into().map_err(describe)?;
    if !response.ok() {
        return Err(format!("{url} answered HTTP {}", response.status()));
    }
    Ok(response)
}

/// A file next to the page (`url` relative, so any sub-path works).
pub async fn fetch_bytes(url: &str) -> Result<Vec<u8>, String> {
    let buffer = JsFuture::from(fetch(url).await?.array_buffer().map_err(describe)?).await.map_err(describe)?;
    Ok(js_sys::Uint8Array::new(&buffer).to_vec())
}

/// The file at `url` as a `File` named after the URL's last segment, kept by the browser as a Blob
/// (out of wasm memory, like a picked file).
pub async fn fetch_file(url: &str) -> Result<web_sys::File, String> {
    let blob = JsFuture::from(fetch(url).await?.blob().map_err(describe)?).await.map_err(describe)?;
    let name = url.rsplit('/').next().unwrap_or(url);
    web_sys::File::new_with_blob_sequence(&js_sys::Array::of1(&blob), name).map_err(describe)
}

/// A text file next to the page.
pub async fn fetch_text(url: &str) -> Result<String, String> {
    String::from_utf8(fetch_bytes(url).await?).map_err(|_| format!("{url} is not UTF-8 text"))
}

/// A file the user picked or dropped, read locally.
pub async fn read_file(file: &web_sys::File) -> Result<Vec<u8>, String> {
    let buffer = JsFuture::from(file.array_buffer()).await.map_err(describe)?;
    Ok(js_sys::Uint8Array::new(&buffer).to_vec())
}

/// Saves `text` as a download named `name`, through a Blob and an object URL.
pub fn download(name: &str, mime: &str, text: &str) -> Result<(), String> {
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    let parts = js_sys::Array::of1(&JsValue::from_str(text));
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options).map_err(describe)?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(describe)?;
    let document = window()?.document().ok_or("no document")?;
    let link: web_sys::HtmlAnchorElement =
        document.create_element("a").map_err(describe)?.dyn_into().map_err(|_| "no link element")?;
    link.set_href(&url);
    link.set_download(name);
    link.click();
    // Revoked later: the download reads the URL after this function returns.
    leptos::prelude::set_timeout(
        move || {
            let _ = web_sys::Url::revoke_object_url(&url);
        },
        std::time::Duration::from_secs(30),
    );
    Ok(())
}

/// Best effort: the link is also shown in a field, for browsers that refuse the clipboard.
pub async fn copy_text(text: &str) -> Result<(), String> {
    let clipboard = window()?.navigator().clipboard();
    JsFuture::from(clipboard.write_text(text)).await.map(|_| ()).map_err(describe)
}

/// Milliseconds from a monotonic clock.
pub fn now_ms() -> f64 {
    web_sys::window().and_then(|w| w.performance()).map_or(0.0, |p| p.now())
}

pub fn device_pixel_ratio() -> f64 {
    web_sys::window().map_or(1.0, |w| w.device_pixel_ratio()).clamp(1.0, 4.0)
}

/// The page address without its fragment, for building share links.
pub fn page_address() -> String {
    let href = web_sys::window().and_then(|w| w.location().href().ok()).unwrap_or_default();
    href.split('#').next().unwrap_or_default().to_string()
}

/// Resolves after `ms` milliseconds through the event loop (a new task), so that the page renders
/// and takes input meanwhile; `sleep(0)` ends the current task and goes on in the next.
pub async fn sleep(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let scheduled = web_sys::window()
            .map(|w| w.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms).is_ok())
            .unwrap_or(false);
        if !scheduled {
            let _ = resolve.call0(&JsValue::NULL);
        }
    });
    let _ = JsFuture::from(promise).await;
}
