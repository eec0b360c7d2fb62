require "vnd.postdesk";
queue "nowhere";
assign "maria";
assign "ivan@example.org";
