def pytest_addoption(parser):
    parser.addoption("--dist-dir", default=None, help="the directory scripts/release wrote (default: dist/)")
