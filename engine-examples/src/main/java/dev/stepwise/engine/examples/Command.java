package dev.stepwise.engine.examples;

/** One command group of the CLI: runs the parsed command line it was chosen for. */
interface Command {
    /**
     * @param args the parsed command line ({@link CliArgs#command} names the command)
     * @return the exit code
     * @throws UsageException on bad usage or input
     */
    int run(CliArgs args);
}
