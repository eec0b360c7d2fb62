# RFC 5228 5.2 (allof), 5.3 (anyof) and 5.8 (not): each true test
# adds a tag naming it, so the output is the truth table:
#   allof (false, false) => false   anyof (false, false) => false
#   allof (false, true)  => false   anyof (false, true)  => true
#   allof (true, true)   => true    anyof (true, true)   => true
#   not true => false               not false => true
require "vnd.postdesk";
if allof (false, false) { addtag "allof-false-false"; }
if allof (false, true) { addtag "allof-false-true"; }
if allof (true, true) { addtag "allof-true-true"; }
if anyof (false, false) { addtag "anyof-false-false"; }
if anyof (false, true) { addtag "anyof-false-true"; }
if anyof (true, true) { addtag "anyof-true-true"; }
if not true { addtag "not-true"; }
if not false { addtag "not-false"; }
