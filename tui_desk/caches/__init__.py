"""Caches in the user cache directory that spare a command work on start: the validated
policy (`caches.policy`) and `holiday_country` dates (`caches.holidays`). Each is plain
JSON in a private file (`tui_desk.cache_files`); any doubt about an entry means a miss."""
