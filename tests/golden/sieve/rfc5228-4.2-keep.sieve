# RFC 5228 4.2: keep small messages, discard the others.
if size :under 1M { keep; } else { discard; }
