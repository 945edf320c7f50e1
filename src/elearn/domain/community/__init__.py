"""Course forums: threads, replies, votes, subscriptions and reports."""
