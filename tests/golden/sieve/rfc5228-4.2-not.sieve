# RFC 5228 4.2: the same without an explicit keep: the implicit keep
# keeps the small messages.
if not size :under 1M { discard; }
