"""Feature flags: one flagd flags file, evaluated in-process through OpenFeature.

`names` (the catalogue of flags the code reads) and `document` (the flags file as typed data) are
pure and imported by the pipeline model; `client` opens the file with the flagd provider and is
imported only by processes that evaluate flags.
"""
