/*
 * mcuflow firmware: the device side of the serial protocol around one
 * generated model. The host (mcuflow/device/harness.py) sends the inputs in
 * chunks, asks for an inference, reads the outputs back, and gets the tick
 * count of model_invoke(), the stack high-water mark and the arena guard check.
 *
 * Robustness rules (the link may corrupt, drop or delay bytes):
 * - every response starts with the session id the host set in HELLO; a reset
 *   sets it to 0 and announces itself with an unsolicited BOOT frame;
 * - INVOKE carries the CRC of the whole input, checked before running, and
 *   returns the CRC of the whole output, so a lost chunk is never silent;
 * - a repeated INVOKE (same sequence number, nothing in between) is answered
 *   from a cache: invoking twice could read an input the first run overwrote.
 */
#include <stdint.h>
#include <string.h>

#include "board.h"
#include "model.h"
#include "tinyengine.h" /* also lets PlatformIO's library finder pick lib/TinyEngine */
#include "proto.h"

extern uint32_t __flash_start__[], __flash_end__[];
extern uint32_t __data_start__[], __bss_end__[];
void stack_paint(void);
uint32_t stack_high_water(void);
uint32_t stack_reserved(void);

#define INVOKE_RESP_LEN 28u

static uint8_t resp[PROTO_MAX_PAYLOAD];
static uint32_t session;
static int32_t last_invoke_seq = -1;
static uint8_t invoke_resp[INVOKE_RESP_LEN];
static uint64_t last_ticks;
static uint32_t last_stack;
static uint32_t invocations;
static uint8_t last_guards_ok = 1;

#ifndef MODEL_PROFILE_MAX
#define MODEL_PROFILE_MAX 256
#endif
static uint64_t profile_t0;
static uint32_t profile_count;
static uint16_t profile_op[MODEL_PROFILE_MAX];
static uint32_t profile_ticks[MODEL_PROFILE_MAX]; /* ticks since the previous reading */

/* Hook of the generated model in MODEL_PROFILE builds: called after every op. */
void model_profile(int op_index)
{
    const uint64_t now = board_counter_read();
    if (profile_count < MODEL_PROFILE_MAX) {
        profile_op[profile_count] = (uint16_t)op_index;
        profile_ticks[profile_count] = (uint32_t)(now - profile_t0);
        profile_count++;
    }
    profile_t0 = board_counter_read(); /* the reading itself is not charged to the next op */
}

static uint32_t info_payload(uint8_t *p)
{
    static const char hash[] = MODEL_HASH;
    p[0] = PROTO_VERSION;
    p[1] = board_info.counter_kind;
    put_u16(p + 2, PROTO_MAX_PAYLOAD);
    put_u32(p + 4, board_info.cpu_hz);
    put_u32(p + 8, board_info.counter_hz);
    put_u32(p + 12, (uint32_t)MODEL_ARENA_BYTES);
    put_u32(p + 16, (uint32_t)((uintptr_t)__flash_end__ - (uintptr_t)__flash_start__));
    put_u32(p + 20, (uint32_t)((uintptr_t)__bss_end__ - (uintptr_t)__data_start__));
    put_u32(p + 24, stack_reserved());
    put_u32(p + 28, session);
    uint64_t macs = (uint64_t)(MODEL_MACS);
    put_u32(p + 32, (uint32_t)macs);
    put_u32(p + 36, (uint32_t)(macs >> 32));
    for (uint32_t i = 0; i < 16u; i++) {
        p[40 + i] = (i < sizeof(hash) - 1u) ? (uint8_t)hash[i] : (uint8_t)' ';
    }
    uint32_t name_len = (uint32_t)strlen(board_info.name);
    p[56] = MODEL_NUM_INPUTS;
    p[57] = MODEL_NUM_OUTPUTS;
    p[58] = (uint8_t)name_len;
    p[59] = 0;
    uint32_t n = 60;
    for (int i = 0; i < MODEL_NUM_INPUTS; i++, n += 4) {
        put_u32(p + n, (uint32_t)model_input_bytes(i));
    }
    for (int i = 0; i < MODEL_NUM_OUTPUTS; i++, n += 4) {
        put_u32(p + n, (uint32_t)model_output_bytes(i));
    }
    memcpy(p + n, board_info.name, name_len);
    return n + name_len;
}

static void send_error(uint8_t seq, uint8_t code, const char *text)
{
    put_u32(resp, session);
    resp[4] = code;
    uint32_t n = (uint32_t)strlen(text);
    memcpy(resp + 5, text, n);
    proto_send(MSG_ERROR, seq, resp, (uint16_t)(5u + n));
}

void fault_report(uint32_t pc, uint32_t kind)
{
    uint8_t p[12];
    put_u32(p, session);
    put_u32(p + 4, pc);
    put_u32(p + 8, kind);
    proto_send(MSG_FAULT, 0, p, sizeof(p));
}

static uint32_t crc_of_inputs(void)
{
    uint32_t crc = 0;
    for (int i = 0; i < MODEL_NUM_INPUTS; i++) {
        crc = proto_crc32(crc, model_input(i), (uint32_t)model_input_bytes(i));
    }
    return crc;
}

static uint32_t crc_of_outputs(void)
{
    uint32_t crc = 0;
    for (int i = 0; i < MODEL_NUM_OUTPUTS; i++) {
        crc = proto_crc32(crc, model_output(i), (uint32_t)model_output_bytes(i));
    }
    return crc;
}

static void handle_invoke(const frame_t *f)
{
    if (last_invoke_seq == (int32_t)f->seq) {
        proto_send(MSG_INVOKE | MSG_RESPONSE, f->seq, invoke_resp, INVOKE_RESP_LEN);
        return;
    }
    if (f->len < 4u) {
        send_error(f->seq, ERR_BAD_REQUEST, "invoke needs the input CRC");
        return;
    }
    if (get_u32(f->payload) != crc_of_inputs()) {
        send_error(f->seq, ERR_INPUT_CRC, "input CRC mismatch");
        return;
    }
    stack_paint();
    profile_count = 0;
    if (board_info.counter_kind == COUNTER_SYSTICK) {
        counter_systick_restart();
    }
    profile_t0 = board_counter_read();
    uint64_t t0 = board_counter_read();
    te_status st = model_invoke();
    uint64_t t1 = board_counter_read();
    last_stack = stack_high_water();
    last_ticks = t1 - t0;
    last_guards_ok = (uint8_t)(model_guards_intact() ? 1 : 0);
    invocations++;

    uint8_t *p = invoke_resp;
    put_u32(p, session);
    put_u32(p + 4, (uint32_t)(int32_t)st);
    put_u32(p + 8, (uint32_t)last_ticks);
    put_u32(p + 12, (uint32_t)(last_ticks >> 32));
    put_u32(p + 16, last_stack);
    put_u32(p + 20, crc_of_outputs());
    p[24] = last_guards_ok;
    p[25] = p[26] = p[27] = 0;
    last_invoke_seq = f->seq;
    proto_send(MSG_INVOKE | MSG_RESPONSE, f->seq, invoke_resp, INVOKE_RESP_LEN);
}

static void handle(const frame_t *f)
{
    if (f->type != MSG_INVOKE) {
        last_invoke_seq = -1;
    }
    switch (f->type) {
    case MSG_HELLO: {
        if (f->len >= 4u) {
            session = get_u32(f->payload);
        }
        uint32_t n = info_payload(resp);
        proto_send(MSG_HELLO | MSG_RESPONSE, f->seq, resp, (uint16_t)n);
        break;
    }
    case MSG_SET_INPUT: {
        if (f->len < 8u) {
            send_error(f->seq, ERR_BAD_REQUEST, "short set-input");
            break;
        }
        int idx = f->payload[0];
        uint32_t off = get_u32(f->payload + 4);
        uint32_t n = f->len - 8u;
        if (idx >= MODEL_NUM_INPUTS) {
            send_error(f->seq, ERR_BAD_INDEX, "no such input");
            break;
        }
        if (off > (uint32_t)model_input_bytes(idx) || n > (uint32_t)model_input_bytes(idx) - off) {
            send_error(f->seq, ERR_BAD_RANGE, "input range");
            break;
        }
        memcpy((uint8_t *)model_input(idx) + off, f->payload + 8, n);
        put_u32(resp, session);
        proto_send(MSG_SET_INPUT | MSG_RESPONSE, f->seq, resp, 4);
        break;
    }
    case MSG_INVOKE:
        handle_invoke(f);
        break;
    case MSG_GET_OUTPUT: {
        if (f->len < 8u) {
            send_error(f->seq, ERR_BAD_REQUEST, "short get-output");
            break;
        }
        int idx = f->payload[0];
        uint32_t n = get_u16(f->payload + 2);
        uint32_t off = get_u32(f->payload + 4);
        if (idx >= MODEL_NUM_OUTPUTS) {
            send_error(f->seq, ERR_BAD_INDEX, "no such output");
            break;
        }
        if (n > PROTO_MAX_PAYLOAD - 4u || off > (uint32_t)model_output_bytes(idx) ||
            n > (uint32_t)model_output_bytes(idx) - off) {
            send_error(f->seq, ERR_BAD_RANGE, "output range");
            break;
        }
        put_u32(resp, session);
        memcpy(resp + 4, (const uint8_t *)model_output(idx) + off, n);
        proto_send(MSG_GET_OUTPUT | MSG_RESPONSE, f->seq, resp, (uint16_t)(4u + n));
        break;
    }
    case MSG_STATS: {
        put_u32(resp, session);
        put_u32(resp + 4, (uint32_t)last_ticks);
        put_u32(resp + 8, (uint32_t)(last_ticks >> 32));
        put_u32(resp + 12, last_stack);
        put_u32(resp + 16, (uint32_t)MODEL_ARENA_BYTES);
        put_u32(resp + 20, invocations);
        put_u32(resp + 24, stack_reserved());
        resp[28] = (uint8_t)(model_guards_intact() ? 1 : 0);
        resp[29] = resp[30] = resp[31] = 0;
        proto_send(MSG_STATS | MSG_RESPONSE, f->seq, resp, 32);
        break;
    }
    case MSG_PROFILE: {
        /* request: u16 first entry; response: session, u16 total, u16 n, n x (u16 op, u32 ticks) */
        uint32_t first = f->len >= 2u ? get_u16(f->payload) : 0u;
        uint32_t n = 0;
        put_u32(resp, session);
        put_u16(resp + 4, profile_count);
        for (uint32_t k = first; k < profile_count && 8u + 6u * (n + 1u) <= PROTO_MAX_PAYLOAD; k++, n++) {
            put_u16(resp + 8 + 6 * n, profile_op[k]);
            put_u32(resp + 10 + 6 * n, profile_ticks[k]);
        }
        put_u16(resp + 6, n);
        proto_send(MSG_PROFILE | MSG_RESPONSE, f->seq, resp, (uint16_t)(8u + 6u * n));
        break;
    }
    default:
        send_error(f->seq, ERR_UNKNOWN_TYPE, "unknown message type");
        break;
    }
}

int main(void)
{
    te_status st = model_init();
    uint32_t n = info_payload(resp);
    proto_send(MSG_BOOT, 0, resp, (uint16_t)n);
    if (st != TE_OK) {
        send_error(0, ERR_BAD_REQUEST, "model_init failed");
    }
    frame_t f;
    for (;;) {
        proto_receive(&f);
        handle(&f);
    }
}
