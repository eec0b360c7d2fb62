# RFC 5228 5.7: a present header contains the empty key, an absent one
# matches no key at all:
#   header :is ["X-Caffeine"] [""]        => false
#   header :contains ["X-Caffeine"] [""]  => true
# and a negated :matches "?*" finds an absent or empty Cc.  Each true
# test adds a tag naming it.
require "vnd.postdesk";
if header :is ["X-Caffeine"] [""] { addtag "is-empty"; }
if header :contains ["X-Caffeine"] [""] { addtag "contains-empty"; }
if not header :matches "Cc" "?*" { addtag "no-cc"; }
