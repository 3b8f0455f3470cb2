"""The test kit: small valid test packages, filled sheets and filled stores for the tests and
benchmarks. Not part of the product (the wheel does not ship it); it reaches testgen only
through testgen's public API (:func:`testgen.build.manifest_for`, the spec models,
:func:`testgen.sheet.render_sheets`), so it builds packages exactly as a user's build does.

- :mod:`testkit.packages`: manifests and blank or filled answer sheets for the reader's tests.
- :mod:`testkit.reports`: report data and a filled store for the report tests and benches.
"""
