{
  "targets": [
    {
      "target_name": "pspseg_native",
      "sources": [
        "src/addon.cpp", "src/common.cpp", "src/runtime.cpp", "src/allocator.cpp", "src/autocast.cpp", "src/tensor_ops.cpp",
        "src/math_ops.cpp", "src/shape_ops.cpp", "src/nn_ops.cpp", "src/autograd_ops.cpp", "src/distributed.cpp"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "<!@(node torch_paths.cjs include)"
      ],
      "defines": ["NAPI_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED", "<!@(node torch_paths.cjs defines)"],
      "cflags!": ["-fno-exceptions", "-fno-rtti"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++17", "-std=gnu++20"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-frtti", "-O2", "-Wno-unused-parameter", "-Wno-deprecated-declarations", "<!@(node torch_paths.cjs cflags)"],
      "libraries": ["<!@(node torch_paths.cjs libs)"]
    }
  ]
}
