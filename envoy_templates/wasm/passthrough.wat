;; passthrough.wat: a proxy-wasm module that does nothing, on purpose.
;;
;; Plano's data plane loads two proxy-wasm plugins (prompt_gateway.wasm, llm_gateway.wasm) that
;; planoai-cli does not ship. Envoy's `--mode validate` really compiles and starts every wasm plugin a
;; config names, so to check a rendered envoy.yaml without those plugins we point a copy of it at this
;; module instead. It speaks proxy-wasm ABI 0.2.1, accepts any VM and plugin configuration without
;; reading it, and lets every request and response through untouched.
;;
;; Build:  wat2wasm passthrough.wat -o passthrough.wasm   (wabt; the .wasm is committed next to this file)
;;
;; Conventions of the ABI that matter here:
;;   * Every value crossing the boundary is an i32 ("Word" on the host side).
;;   * Stream callbacks return an Action: 0 = Continue, 1 = Pause. We always return 0.
;;   * Lifecycle callbacks (vm start, configure, validate configuration, done) return a boolean:
;;     1 = success / finished. Returning 0 from vm start or configure would make Envoy reject the plugin.
;;   * The host checks each export's signature when it links the module, so the parameter lists below
;;     must match the ABI exactly even though no parameter is ever read.
;;
;; The module imports nothing: a pass-through filter never has to call back into Envoy (no logging, no
;; header edits, no buffer reads), and an empty import section keeps it loadable by any proxy-wasm host.
(module
  ;; ---------------------------------------------------------------------------------------------
  ;; Memory and allocator
  ;; ---------------------------------------------------------------------------------------------

  ;; One 64 KiB page to begin with; the allocator grows it on demand. The host reads and writes
  ;; guest memory through this export, so the name "memory" is fixed by the ABI.
  (memory (export "memory") 1)

  ;; Next free byte. The first KiB stays unused so that no allocation ever returns address 0,
  ;; which the host would read as "allocation failed".
  (global $heap_top (mut i32) (i32.const 1024))

  ;; The host asks the module for memory whenever it has to hand over data the module requested
  ;; (for instance the bytes of a header map). This module never requests anything, so in practice
  ;; the allocator is not called; it still has to exist because the ABI requires it.
  ;;
  ;; A bump allocator is enough: nothing is ever freed, which is harmless for a module that does not
  ;; allocate. Blocks are 8-byte aligned. Returns 0 when the request cannot be met, as malloc does.
  (func $allocate (param $size i32) (result i32)
    (local $start i32)
    (local $end i64)
    (local $capacity i64)
    ;; Round the current top up to the next multiple of 8.
    (local.set $start
      (i32.and (i32.add (global.get $heap_top) (i32.const 7)) (i32.const -8)))
    ;; Compute the end in 64 bits so a huge request cannot wrap around the 4 GiB address space.
    (local.set $end
      (i64.add (i64.extend_i32_u (local.get $start)) (i64.extend_i32_u (local.get $size))))
    (if (i64.gt_u (local.get $end) (i64.const 0xFFFFFFFF))
      (then (return (i32.const 0))))
    ;; Bytes currently available: pages times 64 KiB.
    (local.set $capacity
      (i64.shl (i64.extend_i32_u (memory.size)) (i64.const 16)))
    (if (i64.gt_u (local.get $end) (local.get $capacity))
      (then
        ;; Grow by just enough whole pages; memory.grow answers -1 when the engine refuses.
        (if (i32.eq
              (memory.grow
                (i32.wrap_i64
                  (i64.shr_u
                    (i64.add (i64.sub (local.get $end) (local.get $capacity)) (i64.const 0xFFFF))
                    (i64.const 16))))
              (i32.const -1))
          (then (return (i32.const 0))))))
    (global.set $heap_top (i32.wrap_i64 (local.get $end)))
    (local.get $start))

  ;; Hosts accept the allocator under either name ("malloc" is what C/Rust toolchains produce,
  ;; "proxy_on_memory_allocate" is the ABI's own); exporting both costs nothing.
  (export "malloc" (func $allocate))
  (export "proxy_on_memory_allocate" (func $allocate))

  ;; ---------------------------------------------------------------------------------------------
  ;; ABI version marker
  ;; ---------------------------------------------------------------------------------------------

  ;; The host picks the calling convention from the name of this empty export; it is never called
  ;; for anything else. 0.2.1 is the version Envoy 1.37 and the Rust proxy-wasm SDK both speak.
  (func (export "proxy_abi_version_0_2_1"))

  ;; ---------------------------------------------------------------------------------------------
  ;; VM and plugin lifecycle (root context)
  ;; ---------------------------------------------------------------------------------------------

  ;; (root_context_id, vm_configuration_size) -> ok. The VM configuration is ignored.
  (func (export "proxy_on_vm_start") (param i32 i32) (result i32)
    (i32.const 1))

  ;; (root_context_id, configuration_size) -> valid. Every configuration is acceptable to us.
  (func (export "proxy_on_validate_configuration") (param i32 i32) (result i32)
    (i32.const 1))

  ;; (root_context_id, plugin_configuration_size) -> ok. Plano embeds the whole rendered config here;
  ;; the stand-in accepts it without reading a byte.
  (func (export "proxy_on_configure") (param i32 i32) (result i32)
    (i32.const 1))

  ;; (root_context_id) -> (). Only fires if a timer was set, which never happens.
  (func (export "proxy_on_tick") (param i32))

  ;; (root_context_id, queue_id) -> (). Shared queues are unused.
  (func (export "proxy_on_queue_ready") (param i32 i32))

  ;; (root_context_id, function_id, data_size) -> (). No foreign functions are registered.
  (func (export "proxy_on_foreign_function") (param i32 i32 i32))

  ;; ---------------------------------------------------------------------------------------------
  ;; Context bookkeeping (shared by root, HTTP and TCP contexts)
  ;; ---------------------------------------------------------------------------------------------

  ;; (context_id, parent_context_id) -> (). There is no per-context state to set up.
  (func (export "proxy_on_context_create") (param i32 i32))

  ;; (context_id) -> finished. 1 tells the host it may tear the context down right away.
  (func (export "proxy_on_done") (param i32) (result i32)
    (i32.const 1))

  ;; (context_id) -> (). Called after the stream ends, for access logging; nothing to record.
  (func (export "proxy_on_log") (param i32))

  ;; (context_id) -> (). Last call for a context; nothing to free.
  (func (export "proxy_on_delete") (param i32))

  ;; ---------------------------------------------------------------------------------------------
  ;; HTTP stream callbacks: every one answers Continue (0)
  ;; ---------------------------------------------------------------------------------------------

  ;; (context_id, header_count, end_of_stream) -> action
  (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
    (i32.const 0))

  ;; (context_id, body_size, end_of_stream) -> action
  (func (export "proxy_on_request_body") (param i32 i32 i32) (result i32)
    (i32.const 0))

  ;; (context_id, trailer_count) -> action
  (func (export "proxy_on_request_trailers") (param i32 i32) (result i32)
    (i32.const 0))

  ;; (context_id, element_count) -> action
  (func (export "proxy_on_request_metadata") (param i32 i32) (result i32)
    (i32.const 0))

  ;; (context_id, header_count, end_of_stream) -> action
  (func (export "proxy_on_response_headers") (param i32 i32 i32) (result i32)
    (i32.const 0))

  ;; (context_id, body_size, end_of_stream) -> action
  (func (export "proxy_on_response_body") (param i32 i32 i32) (result i32)
    (i32.const 0))

  ;; (context_id, trailer_count) -> action
  (func (export "proxy_on_response_trailers") (param i32 i32) (result i32)
    (i32.const 0))

  ;; (context_id, element_count) -> action
  (func (export "proxy_on_response_metadata") (param i32 i32) (result i32)
    (i32.const 0))

  ;; ---------------------------------------------------------------------------------------------
  ;; TCP (network filter) callbacks, so the same module also loads as a network filter
  ;; ---------------------------------------------------------------------------------------------

  ;; (context_id) -> action
  (func (export "proxy_on_new_connection") (param i32) (result i32)
    (i32.const 0))

  ;; (context_id, data_size, end_of_stream) -> action
  (func (export "proxy_on_downstream_data") (param i32 i32 i32) (result i32)
    (i32.const 0))

  ;; (context_id, data_size, end_of_stream) -> action
  (func (export "proxy_on_upstream_data") (param i32 i32 i32) (result i32)
    (i32.const 0))

  ;; (context_id, peer_type) -> ()
  (func (export "proxy_on_downstream_connection_close") (param i32 i32))

  ;; (context_id, peer_type) -> ()
  (func (export "proxy_on_upstream_connection_close") (param i32 i32))

  ;; ---------------------------------------------------------------------------------------------
  ;; Replies to outgoing calls: the module makes none, but the exports cost nothing
  ;; ---------------------------------------------------------------------------------------------

  ;; (context_id, token, header_count, body_size, trailer_count) -> ()
  (func (export "proxy_on_http_call_response") (param i32 i32 i32 i32 i32))

  ;; (context_id, token, header_count) -> ()
  (func (export "proxy_on_grpc_receive_initial_metadata") (param i32 i32 i32))

  ;; (context_id, token, response_size) -> ()
  (func (export "proxy_on_grpc_receive") (param i32 i32 i32))

  ;; (context_id, token, trailer_count) -> ()
  (func (export "proxy_on_grpc_receive_trailing_metadata") (param i32 i32 i32))

  ;; (context_id, token, status_code) -> ()
  (func (export "proxy_on_grpc_close") (param i32 i32 i32))
)
