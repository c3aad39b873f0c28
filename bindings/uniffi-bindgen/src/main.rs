//! UniFFI's binding generator, pinned to the UniFFI version of `bleep-ffi`.

fn main() {
    uniffi::uniffi_bindgen_main()
}
