"""Planning: from a document to what each scene shows and says (today: the text normalizer for speech)."""
