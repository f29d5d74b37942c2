/*
 * A stand-in for Windows' bcryptprimitives.dll, for running Go's Windows binaries under Wine 8,
 * which lacks that DLL: since Go 1.22 the runtime draws its random bytes from ProcessPrng there.
 * This one draws them from RtlGenRandom (advapi32's SystemFunction036), which Wine has. It is
 * built with mingw-w64 into the system32 folder of the throwaway Wine prefix of scripts/cross.sh's
 * Windows test, and nowhere else; it never ships.
 */
#include <windows.h>
#include <ntsecapi.h>

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len) {
	while (len > 0) {
		ULONG n = len > 0x40000000 ? 0x40000000 : (ULONG)len;
		if (!RtlGenRandom(data, n)) {
			return FALSE;
		}
		data += n;
		len -= n;
	}
	return TRUE;
}
