"""Safety rules run on every draft before anything may be sent, and on the form submission
the draft answers (form_input.py: the form is untrusted input, DESIGN I-11).

Each rule returns findings that say what kind of problem and where, never the offending
value itself (a finding may end up in asset-check metadata, which is not a place for PII).
"""
