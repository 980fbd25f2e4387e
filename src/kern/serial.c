/*
 * serial.c - the two 16550 UARTs, polled.
 *
 * COM1 carries the kernel's log (qemu writes it to a file the host shows
 * on a panic, or on stderr with -v); COM2 carries the conversation with
 * `mvm boot` (proto.h).  Writing polls the transmitter.  Reading waits
 * for COM2's receive interrupt with `sti; hlt`: a vCPU spinning on the
 * status register keeps qemu's main loop (which delivers the host's
 * bytes) from running, and cost 13 ms an operation; halted, it costs
 * nothing.  The interrupt is the only one the kernel ever enables
 * (pic_init), and only while it halts here.  The FIFOs stay off:
 * qemu paces a FIFO's transmission at the baud rate.
 */
#include "kern.h"
#include "x86.h"

static const uint16_t serial_base[] = {[SERIAL_LOG] = 0x3f8, [SERIAL_HOST] = 0x2f8};

#define UART_DATA 0
#define UART_IER 1
#define UART_FCR 2
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define LSR_RX_READY 0x01
#define LSR_TX_EMPTY 0x20

static void uart_init(uint16_t base, bool rx_irq)
{
	outb(base + UART_IER, 0x00);
	outb(base + UART_LCR, 0x80);  /* divisor latch */
	outb(base + UART_DATA, 0x01); /* 115200 baud (qemu ignores it) */
	outb(base + UART_IER, 0x00);
	outb(base + UART_LCR, 0x03);  /* 8N1 */
	outb(base + UART_FCR, 0x07);  /* FIFOs on, cleared; interrupt at 1 byte */
	/* DTR, RTS, and OUT2 (which connects the IRQ line) for the host port. */
	outb(base + UART_MCR, rx_irq ? 0x0b : 0x03);
	outb(base + UART_IER, rx_irq ? 0x01 : 0x00); /* received data available */
}

/* The 8259s: vectors 32..47, everything masked but COM2 (IRQ 3). */
static void pic_init(void)
{
	outb(0x20, 0x11);
	outb(0xa0, 0x11);
	outb(0x21, PIC_VECTOR_BASE);
	outb(0xa1, PIC_VECTOR_BASE + 8);
	outb(0x21, 0x04);
	outb(0xa1, 0x02);
	outb(0x21, 0x01);
	outb(0xa1, 0x01);
	outb(0x21, (uint8_t)~(1u << SERIAL_HOST_IRQ));
	outb(0xa1, 0xff);
}

void serial_irq_done(void)
{
	outb(0x20, 0x20); /* end of interrupt */
}

void serial_init(void)
{
	pic_init();
	uart_init(serial_base[SERIAL_LOG], false);
	uart_init(serial_base[SERIAL_HOST], true);
}

void serial_putc(enum serial_port port, char c)
{
	uint16_t base = serial_base[port];

	while (!(inb(base + UART_LSR) & LSR_TX_EMPTY))
		;
	outb(base + UART_DATA, (uint8_t)c);
}

void serial_write(enum serial_port port, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		serial_putc(port, s[i]);
}

uint8_t serial_getc(enum serial_port port)
{
	uint16_t base = serial_base[port];

	/* sti's one-instruction shadow makes "sti; hlt" atomic: no wakeup
	 * is lost between the test and the halt. */
	while (!(inb(base + UART_LSR) & LSR_RX_READY))
		__asm__ volatile("sti; hlt; cli" : : : "memory");
	return inb(base + UART_DATA);
}
