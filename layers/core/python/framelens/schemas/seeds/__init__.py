"""Request and response models of the seed dialects (the commercial APIs Framelens speaks).

One module per seed API family; field names follow the seed documents in ``../shared/seeds``
exactly. Routers in ``framelens.api.seeds`` answer with these models.
"""
