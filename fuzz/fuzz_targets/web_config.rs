//! Fuzz target: any text as the web configuration file (`--web.config.file`), through
//! `WebFile::from_text`, the entry the listener's load and reload use. It never panics, and a
//! refusal is one line (it is logged as one, and names the key when there is one).
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use proxy911_exporter::web::WebFile;

fuzz_target!(|bytes: &[u8]| {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return;
    };
    // A directory that does not exist: relative certificate paths are resolved against it and
    // read nothing, so the target depends on no file of the machine.
    let path = Path::new("/nonexistent/proxy911-fuzz/web-config.yml");
    if let Err(error) = WebFile::from_text(path, text) {
        let message = error.to_string();
        assert!(
            !message.contains('\n'),
            "a refusal on several lines: {message:?}"
        );
        assert!(
            !message.contains('\r'),
            "a refusal with a carriage return: {message:?}"
        );
    }
});
