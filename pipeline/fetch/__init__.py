"""Where items come in: files and folders (`files/`), feeds (`feeds/`) over the guarded HTTP
client (`http/`). Never imports enrichment (spaCy) or the workers."""
