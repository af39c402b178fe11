package be.uzleuven.fhir.discharge.hapi;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Answers 503 to every request until start-up has finished (our definitions stored), so a client
 * that waits for 200 on /fhir/metadata never meets a half-loaded server.
 */
public class ReadinessFilter extends OncePerRequestFilter {

	private volatile boolean myReady;

	public void setReady() {
		myReady = true;
	}

	@Override
	protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
			throws ServletException, IOException {
		if (!myReady) {
			response.setStatus(HttpServletResponse.SC_SERVICE_UNAVAILABLE);
			response.setHeader("Retry-After", "1");
			response.setContentType("text/plain;charset=UTF-8");
			response.getWriter().write("HAPI FHIR test server is still starting\n");
			return;
		}
		chain.doFilter(request, response);
	}
}
