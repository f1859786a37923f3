"""The catalogue: the error codes of errors.md (``codes``) and every text people read, as data:
labels and numbers (``words``), dates and times (``dates``), situational sentences (``sentences``)."""
