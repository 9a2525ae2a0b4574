//! The `ankideck` command: everything happens in the library's `cli` module.

fn main() -> std::process::ExitCode {
    ankideck::cli::main()
}
