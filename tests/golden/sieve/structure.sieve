require "vnd.postdesk";
keep;
require "body";
elsif true { keep; }
if true { keep; } else true { keep; }
if true;
stop { keep; }
if true { require "envelope"; }
