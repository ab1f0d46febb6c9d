"""The watched inbox: where clerks and scanners drop files, and how each one is taken exactly once.

`convention` says where a file belongs (agency, dossier) and which names are never taken; `claims` says when a
file is complete and claims it for one worker; `outcome` moves a processed file to done or quarantine (and back
with `retry`); `watch` is the service loop that ties them to an ingest function it is given.
This package does not import `flows`: the ingest function is a parameter.
"""
