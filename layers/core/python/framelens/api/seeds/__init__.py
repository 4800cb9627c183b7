"""The seed dialects: one router module per commercial API family Framelens speaks.

Each module maps a seed's paths, fields and error table onto the native job system through
``_flow`` (upload → job → answer now or 202); none repeats the native flow.
"""
