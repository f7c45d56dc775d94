fn main() -> std::process::ExitCode {
    supportctl::cli::main()
}
