WITH `t30` AS (
  SELECT
    `t25`.`__t`,
    `t25`.`__d_region`,
    SUM(`t25`.`qty` * `t25`.`price` * (
      1 - `t25`.`discount`
    )) AS `__n0`
  FROM (
    SELECT
      `t23`.`qty`,
      `t23`.`price`,
      `t23`.`discount`,
      `t23`.`__k0`,
      `t23`.`__j0`,
      `t23`.`__d_order_date`,
      `t23`.`__k0_0`,
      `t23`.`__j1`,
      `t23`.`__d_region`,
      `t23`.`__d_order_date` AS `__t`
    FROM (
      SELECT
        `t15`.`qty`,
        `t15`.`price`,
        `t15`.`discount`,
        `t15`.`__k0`,
        `t14`.`__j0`,
        `t14`.`__d_order_date`,
        `t14`.`__k0_0`,
        `t20`.`__j1`,
        `t20`.`__d_region`
      FROM (
        SELECT
          `t4`.`qty`,
          `t4`.`price`,
          `t4`.`discount`,
          `t4`.`order_id` AS `__k0`
        FROM `onpace_it_order_lines` AS `t4`
      ) AS `t15`
      LEFT OUTER JOIN (
        SELECT
          `t3`.`id` AS `__j0`,
          `t3`.`order_date` AS `__d_order_date`,
          `t3`.`customer_id` AS `__k0_0`
        FROM `onpace_it_orders` AS `t3`
      ) AS `t14`
        ON `t15`.`__k0` = `t14`.`__j0`
      LEFT OUTER JOIN (
        SELECT
          `t5`.`id` AS `__j1`,
          CAST(`t5`.`region` AS CHAR CHARACTER SET utf8mb4) COLLATE utf8mb4_nopad_bin AS `__d_region`
        FROM `onpace_it_customers` AS `t5`
      ) AS `t20`
        ON `t14`.`__k0_0` = `t20`.`__j1`
    ) AS `t23`
    WHERE
      `t23`.`__d_order_date` <= DATE('2024-12-31')
      AND `t23`.`__d_order_date` >= DATE('2024-01-01')
  ) AS `t25`
  GROUP BY
    1,
    2
), `t34` AS (
  SELECT
    `t29`.`__ap` AS `__p`,
    `t29`.`__d_region`,
    COUNT(DISTINCT `t29`.`__v`) AS `__n3`
  FROM (
    SELECT
      `t8`.`__ap`,
      `t8`.`__ad`,
      `t8`.`__al`,
      `t26`.`__t`,
      `t26`.`__v`,
      `t26`.`__d_region`
    FROM `onpace_windows_0facb55e279e` AS `t8`
    INNER JOIN (
      SELECT
        `t21`.`__d_order_date` AS `__t`,
        `t21`.`customer_id` AS `__v`,
        `t21`.`__d_region`
      FROM (
        SELECT
          `t12`.`customer_id`,
          `t12`.`__d_order_date`,
          `t12`.`__k0`,
          `t19`.`__j0`,
          `t19`.`__d_region`
        FROM (
          SELECT
            `t3`.`customer_id`,
            `t3`.`order_date` AS `__d_order_date`,
            `t3`.`customer_id` AS `__k0`
          FROM `onpace_it_orders` AS `t3`
        ) AS `t12`
        LEFT OUTER JOIN (
          SELECT
            `t5`.`id` AS `__j0`,
            CAST(`t5`.`region` AS CHAR CHARACTER SET utf8mb4) COLLATE utf8mb4_nopad_bin AS `__d_region`
          FROM `onpace_it_customers` AS `t5`
        ) AS `t19`
          ON `t12`.`__k0` = `t19`.`__j0`
      ) AS `t21`
      WHERE
        `t21`.`__d_order_date` <= DATE('2024-12-31')
        AND `t21`.`__d_order_date` >= DATE('2023-01-01')
    ) AS `t26`
      ON `t26`.`__t` >= `t8`.`__al` AND `t26`.`__t` <= `t8`.`__ad`
  ) AS `t29`
  GROUP BY
    1,
    2
), `t36` AS (
  SELECT
    `t31`.`__ap` AS `__p`,
    `t31`.`__d_region`,
    COUNT(DISTINCT `t31`.`__v`) AS `__n5`
  FROM (
    SELECT
      `t8`.`__ap`,
      `t8`.`__ad`,
      `t8`.`__al`,
      `t28`.`__t`,
      `t28`.`__v`,
      `t28`.`__d_region`
    FROM `onpace_windows_0facb55e279e` AS `t8`
    INNER JOIN (
      SELECT
        `t22`.`__d_order_date` AS `__t`,
        IF(CAST(`t22`.`status` AS BINARY) = 'completed', `t22`.`customer_id`, NULL) AS `__v`,
        `t22`.`__d_region`
      FROM (
        SELECT
          `t18`.`customer_id`,
          `t18`.`status`,
          `t18`.`__d_order_date`,
          `t18`.`__k0`,
          `t19`.`__j0`,
          `t19`.`__d_region`
        FROM (
          SELECT
            `t3`.`customer_id`,
            CAST(`t3`.`status` AS CHAR CHARACTER SET utf8mb4) COLLATE utf8mb4_nopad_bin AS `status`,
            `t3`.`order_date` AS `__d_order_date`,
            `t3`.`customer_id` AS `__k0`
          FROM `onpace_it_orders` AS `t3`
        ) AS `t18`
        LEFT OUTER JOIN (
          SELECT
            `t5`.`id` AS `__j0`,
            CAST(`t5`.`region` AS CHAR CHARACTER SET utf8mb4) COLLATE utf8mb4_nopad_bin AS `__d_region`
          FROM `onpace_it_customers` AS `t5`
        ) AS `t19`
          ON `t18`.`__k0` = `t19`.`__j0`
      ) AS `t22`
      WHERE
        `t22`.`__d_order_date` <= DATE('2024-12-31')
        AND `t22`.`__d_order_date` >= DATE('2023-01-01')
    ) AS `t28`
      ON `t28`.`__t` >= `t8`.`__al` AND `t28`.`__t` <= `t8`.`__ad`
  ) AS `t31`
  GROUP BY
    1,
    2
), `t45` AS (
  SELECT
    `t39`.`__ap` AS `__p`,
    `t39`.`__d_region`,
    SUM(COALESCE(`t39`.`__n0`, 0)) AS `__n1`
  FROM (
    SELECT
      `t7`.`__ap`,
      `t7`.`__ad`,
      `t7`.`__al`,
      `t33`.`__t`,
      `t33`.`__d_region`,
      `t33`.`__n0`
    FROM `onpace_windows_c15d3f75ac80` AS `t7`
    INNER JOIN `t30` AS `t33`
      ON `t33`.`__t` >= `t7`.`__al` AND `t33`.`__t` <= `t7`.`__ad`
  ) AS `t39`
  GROUP BY
    1,
    2
)
SELECT
  `t58`.`__p` AS `period`,
  `t58`.`__d_region` AS `region`,
  CAST(COALESCE(`t58`.`__n1`, 0) AS DOUBLE) AS `revenue_3m`,
  COALESCE(`t58`.`__n3`, 0) AS `buyers_running`,
  COALESCE(`t58`.`__n5`, 0) AS `completed_buyers_running`
FROM (
  SELECT
    `t57`.`__p`,
    `t57`.`__d_region`,
    MAX(`t57`.`__in`) AS `__in`,
    MAX(`t57`.`__n0`) AS `__n0`,
    MAX(`t57`.`__n1`) AS `__n1`,
    MAX(`t57`.`__n3`) AS `__n3`,
    MAX(`t57`.`__n5`) AS `__n5`
  FROM (
    SELECT
      *
    FROM (
      SELECT
        *
      FROM (
        SELECT
          CAST(CAST(`t47`.`__p` AS DATETIME) AS DATE) AS `__p`,
          `t47`.`__d_region`,
          NULL AS `__in`,
          NULL AS `__n0`,
          `t47`.`__n1`,
          NULL AS `__n3`,
          NULL AS `__n5`
        FROM `t45` AS `t47`
      ) AS `t49`
      UNION ALL
      SELECT
        *
      FROM (
        SELECT
          CAST(CAST(`t35`.`__p` AS DATETIME) AS DATE) AS `__p`,
          `t35`.`__d_region`,
          NULL AS `__in`,
          NULL AS `__n0`,
          NULL AS `__n1`,
          `t35`.`__n3`,
          NULL AS `__n5`
        FROM `t34` AS `t35`
      ) AS `t42`
    ) AS `t51`
    UNION ALL
    SELECT
      *
    FROM (
      SELECT
        *
      FROM (
        SELECT
          CAST(CAST(`t38`.`__p` AS DATETIME) AS DATE) AS `__p`,
          `t38`.`__d_region`,
          NULL AS `__in`,
          NULL AS `__n0`,
          NULL AS `__n1`,
          NULL AS `__n3`,
          `t38`.`__n5`
        FROM `t36` AS `t38`
      ) AS `t44`
      UNION ALL
      SELECT
        *
      FROM (
        SELECT
          *
        FROM (
          SELECT
            `t6`.`__p`,
            `t53`.`__d_region`,
            1 AS `__in`,
            NULL AS `__n0`,
            NULL AS `__n1`,
            NULL AS `__n3`,
            NULL AS `__n5`
          FROM `onpace_periods_ab1c8507c377` AS `t6`
          CROSS JOIN (
            SELECT
              *
            FROM (
              SELECT
                `t38`.`__d_region`
              FROM `t36` AS `t38`
              WHERE
                `t38`.`__p` >= DATE('2024-01-01') AND `t38`.`__p` <= DATE('2024-10-01')
            ) AS `t43`
            UNION
            SELECT
              *
            FROM (
              SELECT
                *
              FROM (
                SELECT
                  `t47`.`__d_region`
                FROM `t45` AS `t47`
                WHERE
                  `t47`.`__p` >= DATE('2024-01-01') AND `t47`.`__p` <= DATE('2024-10-01')
              ) AS `t48`
              UNION
              SELECT
                *
              FROM (
                SELECT
                  `t35`.`__d_region`
                FROM `t34` AS `t35`
                WHERE
                  `t35`.`__p` >= DATE('2024-01-01') AND `t35`.`__p` <= DATE('2024-10-01')
              ) AS `t40`
            ) AS `t50`
          ) AS `t53`
        ) AS `t54`
        UNION ALL
        SELECT
          *
        FROM (
          SELECT
            CAST(CAST(`t41`.`__p` AS DATETIME) AS DATE) AS `__p`,
            `t41`.`__d_region`,
            NULL AS `__in`,
            `t41`.`__n0`,
            NULL AS `__n1`,
            NULL AS `__n3`,
            NULL AS `__n5`
          FROM (
            SELECT
              `t37`.`__p`,
              `t37`.`__d_region`,
              SUM(`t37`.`__n0`) AS `__n0`
            FROM (
              SELECT
                `t32`.`__t`,
                `t32`.`__d_region`,
                `t32`.`__n0`,
                MAKEDATE(YEAR(`t32`.`__t`), 1) + INTERVAL (QUARTER(`t32`.`__t`) - 1) QUARTER AS `__p`
              FROM `t30` AS `t32`
              WHERE
                `t32`.`__t` <= DATE('2024-12-31') AND `t32`.`__t` >= DATE('2024-01-01')
            ) AS `t37`
            GROUP BY
              1,
              2
          ) AS `t41`
        ) AS `t46`
      ) AS `t55`
    ) AS `t56`
  ) AS `t57`
  GROUP BY
    1,
    2
) AS `t58`
WHERE
  `t58`.`__in` IS NOT NULL AND `t58`.`__p` >= DATE('2024-01-01')
