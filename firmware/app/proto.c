#include "proto.h"

#include "board.h"

#define RAW_MAX (PROTO_HEADER + PROTO_MAX_PAYLOAD + PROTO_CRC)
/* COBS adds one byte per 254 plus one. */
#define ENC_MAX (RAW_MAX + RAW_MAX / 254u + 2u)

static uint8_t rx_buf[ENC_MAX];
static uint8_t tx_raw[RAW_MAX];

static const uint32_t crc_nibble[16] = {
    0x00000000u, 0x1DB71064u, 0x3B6E20C8u, 0x26D930ACu, 0x76DC4190u, 0x6B6B51F4u, 0x4DB26158u, 0x5005713Cu,
    0xEDB88320u, 0xF00F9344u, 0xD6D6A3E8u, 0xCB61B38Cu, 0x9B64C2B0u, 0x86D3D2D4u, 0xA00AE278u, 0xBDBDF21Cu,
};

uint32_t proto_crc32(uint32_t crc, const void *data, uint32_t len)
{
    const uint8_t *p = (const uint8_t *)data;
    crc = ~crc;
    while (len--) {
        crc ^= *p++;
        crc = (crc >> 4) ^ crc_nibble[crc & 0xFu];
        crc = (crc >> 4) ^ crc_nibble[crc & 0xFu];
    }
    return ~crc;
}

/* In-place COBS decode; returns the decoded length or -1 when malformed. */
static int32_t cobs_decode(uint8_t *buf, uint32_t n)
{
    uint32_t in = 0, out = 0;
    while (in < n) {
        uint32_t code = buf[in++];
        if (code == 0u || in + code - 1u > n) {
            return -1;
        }
        for (uint32_t i = 1; i < code; i++) {
            buf[out++] = buf[in++];
        }
        if (code < 0xFFu && in < n) {
            buf[out++] = 0;
        }
    }
    return (int32_t)out;
}

void proto_receive(frame_t *frame)
{
    for (;;) {
        uint32_t n = 0;
        int overflow = 0;
        for (;;) {
            uint8_t c = board_getc();
            if (c == 0u) {
                break;
            }
            if (n < ENC_MAX) {
                rx_buf[n++] = c;
            } else {
                overflow = 1;
            }
        }
        if (overflow || n == 0u) {
            continue;
        }
        int32_t m = cobs_decode(rx_buf, n);
        if (m < (int32_t)(PROTO_HEADER + PROTO_CRC)) {
            continue;
        }
        uint32_t len = get_u16(rx_buf);
        if (len + PROTO_HEADER + PROTO_CRC != (uint32_t)m) {
            continue;
        }
        if (proto_crc32(0, rx_buf, PROTO_HEADER + len) != get_u32(rx_buf + PROTO_HEADER + len)) {
            continue;
        }
        frame->len = (uint16_t)len;
        frame->type = rx_buf[2];
        frame->seq = rx_buf[3];
        frame->payload = rx_buf + PROTO_HEADER;
        return;
    }
}

void proto_send(uint8_t type, uint8_t seq, const uint8_t *payload, uint16_t len)
{
    if (len > PROTO_MAX_PAYLOAD) {
        len = PROTO_MAX_PAYLOAD;
    }
    put_u16(tx_raw, len);
    tx_raw[2] = type;
    tx_raw[3] = seq;
    for (uint32_t i = 0; i < len; i++) {
        tx_raw[PROTO_HEADER + i] = payload[i];
    }
    uint32_t n = PROTO_HEADER + len;
    put_u32(tx_raw + n, proto_crc32(0, tx_raw, n));
    n += PROTO_CRC;

    /* COBS encode while sending: each block is a code byte then up to 254 non-zero bytes. */
    uint32_t start = 0;
    while (start <= n) {
        uint32_t end = start;
        while (end < n && tx_raw[end] != 0u && end - start < 254u) {
            end++;
        }
        uint32_t code = end - start + 1u;
        board_putc((uint8_t)code);
        for (uint32_t i = start; i < end; i++) {
            board_putc(tx_raw[i]);
        }
        if (code == 0xFFu) {
            start = end; /* full block: no implicit zero consumed */
            if (start == n) {
                break;
            }
        } else {
            start = end + 1u; /* skip the zero this block stands for (or the end) */
        }
    }
    board_putc(0);
}
