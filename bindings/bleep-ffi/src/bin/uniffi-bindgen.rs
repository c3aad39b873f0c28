//! UniFFI's binding generator, pinned to this crate's UniFFI version
//! (`cargo run -p bleep-ffi --features cli --bin uniffi-bindgen -- ...`).

fn main() {
    uniffi::uniffi_bindgen_main()
}
