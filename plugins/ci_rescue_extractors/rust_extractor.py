"""Log extractor plugin `rust_extractor` (in progress; a module without hooks is a valid, inert plugin)."""
