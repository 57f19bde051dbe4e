"""The demo: the demo programme (load_demo) and the generated programme for benchmarks
(generate_programme). The top layer: it may import every app; only tests, bench/ and its own
management commands import it."""
