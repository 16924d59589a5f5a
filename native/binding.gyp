{
  "targets": [
    {
      "target_name": "ail_spawn",
      "sources": ["spawn.c"],
      "conditions": [["OS=='win'", { "type": "none", "sources!": ["spawn.c"] }]],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"]
    }
  ]
}
