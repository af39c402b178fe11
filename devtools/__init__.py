"""Development tools, not shipped in the wheel or the image: the local FHIR sandbox and the demo.

The service never imports from here; the tests, the benchmarks and `make demo` do.
"""
